/**
 * The API reference page of `npm start` (/api/v3/docs): Swagger UI from the swagger-ui-dist package (served from
 * node_modules, nothing from a CDN) rendering /api/v3/openapi.json.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const DOCS_PATH = '/api/v3/docs';
const DOCUMENT_URL = '/api/v3/openapi.json';
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const require = createRequire(import.meta.url);
// The package's own path helper (its main module would load the whole browser bundle into Node).
const assetDir = (require('swagger-ui-dist/absolute-path.js') as () => string)();

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Ansari threads API</title>
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script>
    // validatorUrl null: no call to an outside validator; the document is validated in CI.
    window.ui = SwaggerUIBundle({
      url: '${DOCUMENT_URL}',
      dom_id: '#swagger-ui',
      deepLinking: true,
      persistAuthorization: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
    });
  </script>
</body>
</html>
`;

/** Answers the docs page and its assets; false when `pathname` is not one of them. */
export async function serveDocs(pathname: string, res: http.ServerResponse): Promise<boolean> {
  if (pathname === DOCS_PATH || pathname === `${DOCS_PATH}/`) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(PAGE);
    return true;
  }
  const name = pathname.startsWith(`${DOCS_PATH}/`) ? pathname.slice(DOCS_PATH.length + 1) : '';
  const type = ASSETS[name];
  if (!type) return false;
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' });
  res.end(await readFile(path.join(assetDir, name)));
  return true;
}

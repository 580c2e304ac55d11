// Bundling alias for `whatwg-url` (serverless.yml custom.esbuild.alias): the MongoDB connection-string parser gets the
// WHATWG URL classes Node already ships instead of the 280 KB pure-JS copy (tr46's Unicode tables) built at load.
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };

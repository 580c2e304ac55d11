'use strict';
/**
 * Local osls plugin for `npm run deploy:smoke` only (param `motoCompat: true`; a no-op otherwise): moto's
 * CloudFormation reads an AWS::ApiGateway::Method's `Integration.IntegrationHttpMethod` and `Integration.Uri`
 * unconditionally, so the MOCK integrations of the CORS preflights (which have neither on AWS) fail with
 * `KeyError: 'IntegrationHttpMethod'` and leave moto answering 500s. For the moto target only, the preflights get
 * placeholder values moto ignores for a MOCK; the template deployed to AWS is never touched.
 */
class MotoCompat {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.apply() };
  }

  apply() {
    const custom = this.serverless.service.custom || {};
    if (custom.motoCompat !== true && custom.motoCompat !== 'true') return;
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    let patched = 0;
    for (const resource of Object.values(resources)) {
      const integration = resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.Integration;
      if (!integration || integration.Type !== 'MOCK') continue;
      integration.IntegrationHttpMethod = integration.IntegrationHttpMethod || 'OPTIONS';
      integration.Uri = integration.Uri || '';
      patched++;
    }
    this.serverless.cli.log(`moto-compat: ${patched} MOCK integration(s) given placeholder IntegrationHttpMethod/Uri (moto target only)`);
  }
}

module.exports = MotoCompat;

'use strict';
/**
 * The optional shared domain (serverless.yml `resources`): with the params sharedDomain, sharedDomainCertificateArn
 * and existingBackendOrigin set, a CloudFront distribution for that domain sends /api/v3/* to this API (its regional
 * endpoint, the stage as origin path) and everything else to the existing backend; with sharedDomain empty, nothing.
 * Nothing is cached (managed CachingDisabled) and every viewer header but Host is forwarded (managed
 * AllViewerExceptHostHeader, which passes Authorization when caching is off); no compression, so replies stream.
 */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

module.exports = async ({ resolveVariable }) => {
  const domain = await resolveVariable('param:sharedDomain');
  if (!domain) return {};
  const certificate = await resolveVariable('param:sharedDomainCertificateArn');
  const backend = await resolveVariable('param:existingBackendOrigin');
  if (!certificate || !backend) throw new Error('sharedDomain needs sharedDomainCertificateArn and existingBackendOrigin');
  const stage = await resolveVariable('sls:stage');
  // CloudFront waits this long between bytes of a reply (a tool round can be quiet): 60 s without a quota increase.
  const https = { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'], OriginReadTimeout: 60 };
  const passThrough = (origin) => ({
    TargetOriginId: origin,
    ViewerProtocolPolicy: 'redirect-to-https',
    AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    CachedMethods: ['GET', 'HEAD'],
    Compress: false,
    CachePolicyId: CACHING_DISABLED,
    OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
  });
  return {
    Resources: {
      SharedDomainDistribution: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: {
            Enabled: true,
            Comment: `${domain}: /api/v3 on ansari-threads ${stage}, the rest on the existing backend`,
            Aliases: [domain],
            ViewerCertificate: { AcmCertificateArn: certificate, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' },
            HttpVersion: 'http2',
            Origins: [
              {
                Id: 'threads-api',
                DomainName: { 'Fn::Join': ['', [{ Ref: 'ApiGatewayRestApi' }, '.execute-api.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
                OriginPath: `/${stage}`,
                CustomOriginConfig: https,
              },
              { Id: 'existing-backend', DomainName: backend, CustomOriginConfig: https },
            ],
            DefaultCacheBehavior: passThrough('existing-backend'),
            CacheBehaviors: [{ ...passThrough('threads-api'), PathPattern: '/api/v3/*' }],
          },
        },
      },
    },
    Outputs: {
      SharedDomainTarget: {
        Description: "Point the shared domain's DNS (alias or CNAME) here",
        Value: { 'Fn::GetAtt': ['SharedDomainDistribution', 'DomainName'] },
      },
    },
  };
};

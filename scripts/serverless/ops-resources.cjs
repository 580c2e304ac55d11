'use strict';
/**
 * Local osls plugin: the parts of the stack the Framework has no setting for, added to the compiled
 * CloudFormation template after the events are compiled (so `serverless package` output shows them):
 *  - stage throttling and detailed metrics on the REST API stage (Deployment.StageDescription);
 *  - an SNS topic for alarms, and CloudWatch alarms on the API's 5xx rate, each function's p95 duration
 *    (streaming functions excluded: a stream's duration is the answer's length) and Lambda throttles.
 * Settings come from `custom.ops` in serverless.yml.
 */
class OpsResources {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.addResources() };
  }

  addResources() {
    const sls = this.serverless;
    const ops = sls.service.custom.ops;
    const template = sls.service.provider.compiledCloudFormationTemplate;
    const resources = template.Resources;
    const naming = sls.getProvider('aws').naming;
    const stage = sls.getProvider('aws').getStage();
    const apiName = naming.getApiGatewayName();

    const deployments = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Deployment');
    for (const deployment of deployments) {
      deployment.Properties.StageDescription = {
        ThrottlingRateLimit: ops.throttle.rateLimit,
        ThrottlingBurstLimit: ops.throttle.burstLimit,
        MetricsEnabled: true,
        MethodSettings: [
          {
            ResourcePath: '/*',
            HttpMethod: '*',
            MetricsEnabled: true,
            ThrottlingRateLimit: ops.throttle.rateLimit,
            ThrottlingBurstLimit: ops.throttle.burstLimit,
          },
        ],
      };
    }

    resources.AlarmTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${sls.service.service}-${stage}-alarms`, KmsMasterKeyId: 'alias/aws/sns' },
    };
    const alarm = (props) => ({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        ...props,
      },
    });
    const apiDims = [
      { Name: 'ApiName', Value: apiName },
      { Name: 'Stage', Value: stage },
    ];
    resources.Api5xxRateAlarm = alarm({
      AlarmDescription: `5xx responses above ${ops.alarms.errorRatePercent}% of requests (${apiName})`,
      Threshold: ops.alarms.errorRatePercent,
      Metrics: [
        {
          Id: 'errors',
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: apiDims }, Period: 60, Stat: 'Sum' },
        },
        {
          Id: 'requests',
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: apiDims }, Period: 60, Stat: 'Sum' },
        },
        { Id: 'rate', Label: '5xx rate (%)', ReturnData: true, Expression: 'IF(requests > 0, 100 * errors / requests, 0)' },
      ],
    });

    const fns = sls.service.getAllFunctions().map((name) => ({
      name,
      logicalId: naming.getLambdaLogicalId(name),
      streaming: (sls.service.getFunction(name).events || []).some(
        (e) => e.http && e.http.response && e.http.response.transferMode === 'STREAM',
      ),
    }));
    const fnMetric = (fn, metric, stat, i) => ({
      Id: `m${i}`,
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn.logicalId } }] },
        Period: 60,
        Stat: stat,
      },
    });
    const timed = fns.filter((f) => !f.streaming);
    resources.LatencyP95Alarm = alarm({
      AlarmDescription: `A non-streaming function's p95 duration above ${ops.alarms.latencyP95Ms} ms`,
      Threshold: ops.alarms.latencyP95Ms,
      Metrics: [
        ...timed.map((f, i) => fnMetric(f, 'Duration', 'p95', i)),
        { Id: 'worst', Label: 'max p95 duration (ms)', ReturnData: true, Expression: `MAX([${timed.map((_, i) => `m${i}`).join(',')}])` },
      ],
    });
    resources.ThrottlesAlarm = alarm({
      AlarmDescription: 'Lambda throttles on any function of the service',
      Threshold: 0,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Metrics: [
        ...fns.map((f, i) => fnMetric(f, 'Throttles', 'Sum', i)),
        { Id: 'total', Label: 'throttles', ReturnData: true, Expression: `SUM([${fns.map((_, i) => `m${i}`).join(',')}])` },
      ],
    });
    resources.Api4xxThrottleAlarm = alarm({
      AlarmDescription: 'API Gateway 4xx (429 throttling included) above the configured count per minute',
      Threshold: ops.alarms.clientErrorsPerMinute,
      MetricName: '4XXError',
      Namespace: 'AWS/ApiGateway',
      Dimensions: apiDims,
      Statistic: 'Sum',
      Period: 60,
    });
    template.Outputs = template.Outputs || {};
    template.Outputs.AlarmTopicArn = { Description: 'Subscribe on-call to this topic', Value: { Ref: 'AlarmTopic' } };
  }
}

module.exports = OpsResources;

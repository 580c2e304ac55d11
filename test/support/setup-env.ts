/** Per test file, before any lib/ module is imported: a test stage, quiet logs, no EMF output, the Lambda streaming polyfill. */
import { installAwsLambdaPolyfill } from '#support/lambda-streaming.js';

process.env.STAGE = 'test';
process.env.LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
installAwsLambdaPolyfill();

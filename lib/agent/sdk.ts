/**
 * The parts of the Anthropic SDK the service uses, in one module. The packaged functions load it as a file of its
 * own (`vendor/anthropic.cjs`, scripts/serverless/vendor-files.cjs), when a reply starts: a function's cold start then
 * neither loads nor parses the SDK unless it answers with the model. Value imports of the SDK go through here.
 */
export { BaseAnthropic } from '@anthropic-ai/sdk/client';
export { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk/core/error';
export { Messages } from '@anthropic-ai/sdk/resources/messages/messages';

'use strict';
/**
 * Local osls plugin: leaves esbuild's source maps out of every function's zip. The maps stay in
 * .esbuild/.build/functions/ (keepOutputDirectory) as build artifacts for decoding stack traces; a deployed
 * bundle has no map comment and Node runs it without --enable-source-maps, which costs every cold start.
 * Runs before serverless-esbuild reads each function's package patterns, so new functions are covered too.
 */
class PackageMaps {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'package:initialize': () => this.excludeMaps() };
  }

  excludeMaps() {
    const service = this.serverless.service;
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      fn.package = { ...(fn.package || {}), patterns: [...((fn.package && fn.package.patterns) || []), '!**/*.map'] };
    }
  }
}

module.exports = PackageMaps;

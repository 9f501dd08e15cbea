#!/usr/bin/env node
// The CLI entry point: the bundle is built by `npm run build` (esbuild.mjs) into out/cli.js.
'use strict';
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const { main } = require('../out/cli.js');
Promise.resolve(main(process.argv.slice(2))).then((code) => { process.exitCode = code; });

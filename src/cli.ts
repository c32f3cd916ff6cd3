#!/usr/bin/env node
/** Entry point of the bundled command-line tool (dist/cli.js, the `image-size-report` bin). */
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));

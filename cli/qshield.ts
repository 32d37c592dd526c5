#!/usr/bin/env node
// The `qshield` command. Boot only: hand argv, stdio and the environment to main().
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});

#!/usr/bin/env node
// The operator CLI, `skc`: builds the program and runs it on this process (see cli/program.ts).
import { processIo } from '../cli/io';
import { run } from '../cli/program';

void run(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});

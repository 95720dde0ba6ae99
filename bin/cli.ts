#!/usr/bin/env node
// The operator CLI, `skc`: builds the program and runs it on this process (see cli/program.ts).
import { processIo } from '../cli/io';
import { run } from '../cli/program';

// The AWS SDK warns on every call that its releases after January 2027 need Node.js 22; the package
// supports Node.js 20.19 and up (docs/cli.md says so), and a warning on each command would only alarm. The
// SDK reads the variable when a client is first made, after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void run(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});

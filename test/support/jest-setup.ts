// Runs in every test file before its tests (jest.config.js, setupFilesAfterEnv).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Silenced because they are not the project's: the AWS SDK warns (once per process, on stderr) that its
// releases after January 2027 need Node.js 22, while the tests run on the Node.js 20 the package supports;
// the variable is the SDK's own switch for that warning. Child processes the tests start inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Powertools prints each handler's metrics as an EMF JSON line on stdout, which CloudWatch reads in Lambda
// and which in a test is only noise. The tests of the metrics themselves turn it back on
// (test/support/powertools-metrics.ts).
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// A CDK App without an outdir synthesizes into a new cdk.out* folder of the temp directory and leaves it
// there; every App of this test file synthesizes into this one folder, removed after the file's tests.
// This variable also makes an App synthesize again when the process exits, from a listener of its own
// (eleven Apps in one file printed a MaxListenersExceededWarning): the tests' Apps say autoSynth: false.
const cdkOutdir = mkdtempSync(join(tmpdir(), 'skc-test-cdk-out-'));
process.env.CDK_OUTDIR = cdkOutdir;
afterAll(() => rmSync(cdkOutdir, { recursive: true, force: true }));

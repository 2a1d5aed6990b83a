// Checks the prerequisites before `npm start` and `npm test`, so a newcomer gets one clear line
// instead of a stack trace from deep inside a tool. Plain .mjs so it runs before any install step.
import { spawnSync } from 'node:child_process';

const problems = [];

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  problems.push(
    `Node.js ${process.versions.node} is too old: this project needs Node.js >= 20.19 (Lambda runs 22). Install it from https://nodejs.org or with nvm: nvm install 22`,
  );
}

const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
if (java.error || java.status !== 0) {
  problems.push(
    'Java was not found on PATH: DynamoDB Local (used by the tests and `npm start`) needs Java >= 17. Install it, e.g. `sudo apt-get install -y openjdk-17-jre-headless` or `brew install openjdk@17`.',
  );
} else {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${java.stderr}${java.stdout}`);
  const javaMajor = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(javaMajor >= 17)) {
    problems.push(
      `Java ${Number.isNaN(javaMajor) ? '(unknown version)' : javaMajor} is too old: DynamoDB Local needs Java >= 17. Install openjdk-17 or newer and put it first on PATH.`,
    );
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`preflight: ${problem}`);
  process.exit(1);
}

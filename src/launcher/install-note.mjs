// postinstall: what a newcomer needs to know about the install, in a few lines, right after npm's own output.
// Nothing is hidden (.npmrc sets no log level): on a machine whose Node is older than 22, npm prints an EBADENGINE
// warning for each package that wants Node 22, and this says why that is expected. The project's Node 22 comes with
// it as the npm package `node`, and every npm script runs on that one; the machine's own Node only runs npm itself.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const agent = process.env.npm_config_user_agent ?? '';
const machineNode = /node\/(v[\d.]+)/.exec(agent)?.[1] ?? 'unknown';
// Scripts run on node_modules/.bin/node; if that is somehow not Node 22, do not claim it is.
const projectNode = Number(process.versions.node.split('.')[0]) >= 22 ? `Node ${process.version}` : 'Node 22';
const major = Number(/^v(\d+)/.exec(machineNode)?.[1] ?? 0);
const lines = [
  major > 0 && major < 22
    ? `the machine's Node is ${machineNode}; the project brings its own ${projectNode} (npm package "node"), which npm start, npm test and the CLI use. npm's EBADENGINE warnings above name the packages that want Node 22: they run on the project's. Nothing to do.`
    : `${projectNode} for npm start, npm test and the CLI (npm package "node").`,
];
if (!existsSync(path.join(root, 'node_modules', 'azure-functions-core-tools', 'package.json'))) {
  lines.push('func (optional package azure-functions-core-tools) is not installed: its installer downloads the host and needs internet. npm start runs the embedded host instead; `npm run func` needs func.');
}
process.stdout.write(`durable-event-source: installed.\n${lines.map((line) => `  ${line}`).join('\n')}\n`);

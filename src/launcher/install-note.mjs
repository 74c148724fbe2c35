// postinstall: one short note instead of npm's engine warnings (hidden by .npmrc's loglevel=error). The project's
// Node 22 comes with it as the npm package `node`, and every npm script runs on that one; the machine's own Node
// only runs npm itself, so an older one is fine.
const agent = process.env.npm_config_user_agent ?? '';
const machineNode = /node\/(v[\d.]+)/.exec(agent)?.[1] ?? 'unknown';
// Scripts run on node_modules/.bin/node; if that is somehow not Node 22, do not claim it is.
const projectNode = Number(process.versions.node.split('.')[0]) >= 22 ? `Node ${process.version}` : 'Node 22';
const major = Number(/^v(\d+)/.exec(machineNode)?.[1] ?? 0);
const note =
  major > 0 && major < 22
    ? `the machine's Node is ${machineNode}; the project brings its own ${projectNode} (npm package "node"), which npm start, npm test and npm run bench use. Nothing to do.`
    : `${projectNode} for npm start, npm test and npm run bench (npm package "node").`;
process.stdout.write(`durable-event-source: installed. ${note}\n`);

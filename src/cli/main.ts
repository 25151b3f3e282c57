#!/usr/bin/env node
// The entry point of `mcp-registry-export` (package.json "bin", the image's ENTRYPOINT).
// It checks the Node.js version before anything else is loaded: the program and its
// dependencies need Node.js 24 and fail on older ones with errors that do not say so,
// so this file imports nothing statically and loads program.ts only once the check passed.
// Keep it that way, and keep its syntax to what Node.js 14 and later can parse.

const MINIMUM_NODE_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= MINIMUM_NODE_MAJOR)) {
  process.stderr.write(
    `error: mcp-registry-export needs Node.js ${MINIMUM_NODE_MAJOR} or newer, and this is Node.js ${process.version} (${process.execPath}); ` +
      `in its repository, run it with npx or npm run, which use the project's own Node.js ${MINIMUM_NODE_MAJOR} (devDependency "node")\n`,
  );
  process.exitCode = 2;
} else {
  const { main } = await import('./program.ts');
  process.exitCode = await main(process.argv.slice(2));
}

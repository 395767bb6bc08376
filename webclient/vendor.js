// Copies the few files the client needs from node_modules/ into vendor/ (committed), so that
// `pip install` alone serves the client. Run after `npm ci`: `npm run vendor`.
'use strict';
const fs = require('fs');
const path = require('path');

const FILES = {
  'angular': ['angular.min.js', 'angular-csp.css', 'LICENSE.md'],
  'angular-resource': ['angular-resource.min.js', 'LICENSE.md'],
  'angular-animate': ['angular-animate.min.js', 'LICENSE.md'],
  // The monolithic bundle: @uirouter/angularjs with @uirouter/core inside (both MIT).
  '@uirouter/angularjs': ['release/angular-ui-router.min.js', 'LICENSE'],
  '@uirouter/core': ['LICENSE'],
  'angularjs-toaster': ['toaster.min.js', 'toaster.min.css', 'LICENSE'],
  'skeleton-css': ['css/normalize.css', 'css/skeleton.css', 'LICENSE.md'],
};

const here = __dirname;
const target = path.join(here, 'vendor');
fs.rmSync(target, { recursive: true, force: true });
const versions = {};
for (const [pkg, files] of Object.entries(FILES)) {
  const source = path.join(here, 'node_modules', pkg);
  const dir = path.join(target, pkg.replace('@uirouter/', 'uirouter-'));
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) {
    fs.copyFileSync(path.join(source, file), path.join(dir, path.basename(file)));
  }
  versions[pkg] = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')).version;
}
fs.writeFileSync(path.join(target, 'VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');
console.log(versions);

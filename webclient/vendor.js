// Copies the few files the client needs from node_modules/ into vendor/ (committed), so that
// `pip install` alone serves the client. Run after `npm ci`: `npm run vendor`.
// The tests' own libraries (devDependencies: axe-core, the accessibility audit of the browser
// tests) go to tests/e2e_browser/vendor/ instead: never shipped in the package nor served.
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

const TEST_FILES = {
  'axe-core': ['axe.min.js', 'LICENSE'],
};

const here = __dirname;

function vendor(files, target) {
  fs.rmSync(target, { recursive: true, force: true });
  const versions = {};
  for (const [pkg, names] of Object.entries(files)) {
    const source = path.join(here, 'node_modules', pkg);
    const dir = path.join(target, pkg.replace('@uirouter/', 'uirouter-'));
    fs.mkdirSync(dir, { recursive: true });
    for (const file of names) {
      fs.copyFileSync(path.join(source, file), path.join(dir, path.basename(file)));
    }
    versions[pkg] = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')).version;
  }
  fs.writeFileSync(path.join(target, 'VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');
  console.log(versions);
}

vendor(FILES, path.join(here, 'vendor'));
vendor(TEST_FILES, path.join(here, '..', 'tests', 'e2e_browser', 'vendor'));

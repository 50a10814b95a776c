'use strict';
// jest globalSetup/globalTeardown: every temporary directory the tests make (synthesized apps copy
// the 120 MB kubectl layer into each outdir) goes under one directory per run, removed at the end,
// so repeated runs cannot fill the disk. Workers are started after globalSetup and inherit TMPDIR,
// which os.tmpdir() reads.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VARIABLE = 'ZTP_TEST_TEMP_ROOT';

module.exports.setup = async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ztp-jest-'));
  process.env[VARIABLE] = root;
  process.env.TMPDIR = root;
};

module.exports.teardown = async () => {
  const root = process.env[VARIABLE];
  if (root && path.basename(root).startsWith('ztp-jest-')) fs.rmSync(root, { recursive: true, force: true });
};

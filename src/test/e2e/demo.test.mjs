// The demo page runs under the Content-Security-Policy the node sends with it
// (default-src 'self'; style-src 'self'; ...): no inline script, no inline style.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {root} from './pushgate-node.mjs';

const html = fs.readFileSync(path.join(root, 'src/main/resources/webroot/index.html'), 'utf8');

test('index.html has no inline script, no style element and no style attribute', () => {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length > 0);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /\bsrc=/, 'every script has a src');
    assert.equal(body.trim(), '', 'and no body');
  }
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle\s*=/i);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
});

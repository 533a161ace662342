import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{display:flex;gap:1rem;align-items:center;padding:.8rem 1.5rem;background:#1d2330;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}header input{padding:.3rem;border-radius:4px;border:0}
main{padding:1rem 1.5rem}section{background:#fff;border-radius:8px;padding:.5rem 1rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}
h2{font-size:1rem}table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-top:1px solid #eee;vertical-align:top}
.muted{color:#778;font-size:.85em}.state{padding:.1rem .5rem;border-radius:1rem;background:#ddd;font-weight:600}
.state.healthy{background:#c9f0d3}.state.degraded{background:#fff1b8}.state.rate-limited,.state.exhausted{background:#ffd8a8}
.state.circuit-open,.state.unavailable{background:#ffc9c9}.state.disabled{background:#dee2e6;color:#555}
.limit{display:flex;gap:.4rem;align-items:center;font-size:.85em}.limit b{width:2.2rem}
.bar{width:120px;height:8px;background:#eee;border-radius:4px;overflow:hidden}.bar span{display:block;height:100%;background:#4c6ef5}.bar span.hot{background:#f03e3e}
.chart{width:100%;max-width:600px;height:90px}.chart polyline{fill:none;stroke-width:2}.req{stroke:#4c6ef5}.lim{stroke:#f03e3e}
button{cursor:pointer;padding:.2rem .6rem}#message{margin-left:1rem}
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's own headers: it runs only its own script and style (by hash), talks only to this
 * gateway, cannot be framed (clickjacking of its Disable buttons) and sends no referrer.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** The dashboard: one page, no framework, live by polling. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>keymux</title><style>${STYLE}</style></head>
<body><header><h1>keymux gateway</h1><span id="updated" class="muted"></span>
<input id="token" type="password" placeholder="admin token" autocomplete="off"></header>
<main><section><h2>Requests and 429s</h2><div id="chart"></div><span id="message"></span></section>
<div id="providers"></div></main>
<script>${PAGE_SCRIPT}</script></body></html>`;
}

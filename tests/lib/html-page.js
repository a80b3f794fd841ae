// tests/lib/html-page.js: what a user sees in heapspy's HTML report,
// read from headless Chromium (playwright-core, as speedscope-import.js)
// with the page opened from file://. Prints one JSON object of facts:
// which elements exist, the numbers the flame graphs' roots and the
// table show, the table after sorting, scrolling and filtering, the
// checkpoint diff after clicking two checkpoints, every network request
// and console error, and writes a full-page screenshot.
//   node html-page.js PLAYWRIGHT_NODE_MODULES PAGE.html SHOT.png SEARCH [FROM TO]
const [pw, file, shot, search, from, to] = process.argv.slice(2);
const { chromium } = require(pw + '/playwright-core');
const path = require('path');

const rowCells = row => row ? [...row.querySelectorAll('.c')].map(c => c.textContent) : null;

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                          args: ['--no-sandbox', '--disable-gpu'] });
  const facts = { requests: [], console_errors: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const url = 'file://' + path.resolve(file);
    page.on('request', r => { if (r.url() !== url) facts.requests.push(r.url()); });
    page.on('console', m => { if (m.type() === 'error') facts.console_errors.push(m.text()); });
    page.on('pageerror', e => facts.console_errors.push(e.message));
    await page.goto(url);
    const frame = () => page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));
    facts.elements = await page.evaluate(() => Object.fromEntries(
      ['flame-inuse', 'flame-alloc', 'flame-calls', 'flame-peak', 'flame-diff', 'sites-view',
       'sites-search', 'flame-search', 'errors'].map(id => [id, !!document.getElementById(id)])
        .concat([['timeline', !!document.querySelector('svg.chart .cp, svg.chart polyline')]])));
    facts.roots = await page.evaluate(() => Object.fromEntries(
      ['inuse', 'alloc', 'calls', 'peak'].map(k => {
        const r = document.querySelector('#flame-' + k + ' .fr.root');
        return [k, r ? r.title : null];
      })));
    facts.cp_markers = await page.$$eval('svg.chart .cp', g => g.length);
    facts.errors = await page.$$eval('#errors li', l => l.map(x => x.textContent));
    facts.sampling = await page.evaluate(() => (document.getElementById('sampling') || {}).textContent || null);
    const table = async () => page.evaluate(() => {
      const rows = [...document.querySelectorAll('#sites-body .row')];
      rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
      const cells = r => r ? [...r.querySelectorAll('.c')].map(c => c.textContent) : null;
      return { count: document.getElementById('sites-count').textContent, dom_rows: rows.length,
               first: cells(rows[0]), last: cells(rows[rows.length - 1]),
               last_pos: rows.length ? Math.round(parseFloat(rows[rows.length - 1].style.top) / 20) : -1 };
    });
    await page.click('#sites-head .c:text-is("calls")');
    await page.click('#sites-head .c:text-is("bytes")');
    facts.sorted = await table();
    await page.$eval('#sites-view', v => { v.scrollTop = v.scrollHeight; });
    await frame();
    facts.scrolled = await table();
    await page.fill('#sites-search', search);
    await page.$eval('#sites-view', v => { v.scrollTop = 0; });
    await frame();
    facts.searched = await table();
    await page.$eval('#sites-view', v => { v.scrollTop = v.scrollHeight; });
    await frame();
    facts.searched_end = await table();
    await page.fill('#flame-search', search);
    facts.flame_hits = await page.$$eval('#flame-inuse .fr.hit', h => h.map(x => x.textContent));
    facts.flame_match = await page.$eval('#flame-inuse-match', m => m.textContent);
    if (from && to) {
      for (const name of [from, to]) await page.click('span.cp:text-is("' + name + '")');
      facts.diff = await page.$eval('#diff-top', d => ({ bytes: d.dataset.bytes, blocks: d.dataset.blocks,
                                                         stack: d.dataset.stack, text: d.textContent }));
      facts.diff_root = await page.$eval('#flame-diff .fr.root', r => r.title);
    }
    await page.screenshot({ path: shot, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(facts, null, 1));
})().catch(e => { console.error('html-page: ' + e.message); process.exit(1); });

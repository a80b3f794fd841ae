// tests/lib/speedscope-import.js: what speedscope makes of a file. Opens
// speedscope's own page (the npm package's dist/release/index.html) in
// headless Chromium through playwright-core, hands it the file the way
// speedscope's command line does (#localProfilePath= a script calling
// speedscope.loadFileFromBase64), lets speedscope's importer pick the
// format, then presses its Export button and saves the download: the
// profile as speedscope holds it (its file-format JSON: frames, and per
// profile the events or samples with their weights).
//   node speedscope-import.js PLAYWRIGHT_NODE_MODULES SPEEDSCOPE_RELEASE_DIR FILE OUT.json
// Exits 1 with a message when the page reports an error or never loads.
const [pw, release, file, out] = process.argv.slice(2);
const { chromium } = require(pw + '/playwright-core');
const fs = require('fs');
const path = require('path');

(async () => {
  const loader = path.resolve(out + '.load.js');
  fs.writeFileSync(loader, 'speedscope.loadFileFromBase64(' + JSON.stringify(path.basename(file)) +
    ', ' + JSON.stringify(fs.readFileSync(file).toString('base64')) + ');\n');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                          args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    page.on('dialog', d => { errors.push('dialog: ' + d.message()); d.dismiss(); });
    await page.goto('file://' + path.resolve(release, 'index.html') + '#localProfilePath=' + loader);
    const exportButton = page.getByText('Export', { exact: false });
    await exportButton.waitFor({ timeout: 90000 });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 90000 }),
                                          exportButton.click()]);
    await download.saveAs(out);
    if (errors.length) throw new Error(errors.join('; '));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error('speedscope-import: ' + e.message); process.exit(1); });

// Renders Mermaid diagrams in one Chromium page and reports each one's parse or render error.
// The page loads mermaid once (the copy @mermaid-js/mermaid-cli renders with) and renders every
// diagram to SVG in turn, which is what `mmdc` does for one diagram per launch.
// Input on stdin: a JSON list of {"where": "file:line", "code": "..."}.
// Output on stdout: a JSON list of {"where", "error"} for the diagrams that failed.
// Usage: node tools/mermaid/render.mjs [--puppeteer-config tools/mermaid/puppeteer.json] < blocks.json
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import puppeteer from 'puppeteer'

const require = createRequire(import.meta.url)
const here = path.dirname(new URL(import.meta.url).pathname)
const flag = process.argv.indexOf('--puppeteer-config')
const configPath = flag >= 0 ? process.argv[flag + 1] : path.join(here, 'puppeteer.json')
const config = JSON.parse(readFileSync(configPath, 'utf8'))
if (process.env.CHROMIUM) config.executablePath = process.env.CHROMIUM
const mermaidPath = path.join(path.dirname(require.resolve('mermaid/package.json')), 'dist', 'mermaid.min.js')
const blocks = JSON.parse(readFileSync(0, 'utf8'))

const browser = await puppeteer.launch(config)
let failed = []
try {
  const page = await browser.newPage()
  await page.setContent('<!doctype html><html><body><div id="container"></div></body></html>')
  await page.addScriptTag({ path: mermaidPath })
  failed = await page.evaluate(async (blocks) => {
    const { mermaid } = globalThis
    mermaid.initialize({ startOnLoad: false, theme: 'default' })
    const errors = []
    for (const [i, block] of blocks.entries()) {
      try {
        await mermaid.parse(block.code)
        await mermaid.render(`diagram${i}`, block.code, document.getElementById('container'))
      } catch (error) {
        errors.push({ where: block.where, error: String(error?.message ?? error).split('\n').slice(0, 4).join('\n') })
      }
    }
    return errors
  }, blocks)
} finally {
  await browser.close()
}
process.stdout.write(JSON.stringify(failed))

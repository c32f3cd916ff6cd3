// Debian's Chromium (scripts/setup-chromium.sh installs it), driven by playwright-core, drawing Mermaid charts with
// the mermaid library served from a loopback server: nothing is fetched from the internet.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './workspace.js';

/** Debian's Chromium, or the browser ISR_CHROMIUM names (scripts/setup-chromium.sh). */
export const CHROMIUM = process.env.ISR_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const MERMAID = path.resolve(import.meta.dirname, '../../node_modules/mermaid/dist/mermaid.min.js');
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

/** What the browser drew: the SVG, or what mermaid threw. */
export interface Drawing {
  svg: string;
  error?: string;
  /** The bars (`rect`s of the bar plots), in document order. */
  bars: { x: number; y: number; width: number; height: number }[];
  /** Every text the SVG shows (title, axis labels, tick labels). */
  texts: string[];
  /** The chart's title. */
  title: string;
  /** The category axis's labels (the x axis; the left one of a horizontal chart). */
  categories: string[];
}

export interface MermaidBrowser {
  draw(source: string, png?: string): Promise<Drawing>;
  close(): Promise<void>;
}

/** Starts the page server and Chromium with a fresh profile. */
export async function startMermaidBrowser(): Promise<MermaidBrowser> {
  const script = readFileSync(MERMAID);
  const server: Server = createServer((request, response) => {
    if (request.url === '/mermaid.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (request.url === '/') {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><html><body><script src="/mermaid.min.js"></script><div id="out"></div></body></html>');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const profile = tempDir('chromium-profile');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  } catch (error) {
    server.close();
    throw error;
  }
  // Only the loopback server: any other request (the internet) is refused, so the test cannot pass by fetching.
  await context.route(
    (u) => !u.href.startsWith(url),
    (route) => route.abort(),
  );
  const page: Page = await context.newPage();
  await page.goto(url);
  let n = 0;
  return {
    async draw(source, png) {
      n += 1;
      const drawn = await page.evaluate(
        async ({ source, id }) => {
          const { mermaid, document } = globalThis as unknown as PageGlobals;
          mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
          const out = document.getElementById('out')!;
          out.innerHTML = '';
          try {
            const { svg } = await mermaid.render(id, source);
            out.innerHTML = svg;
            return { error: undefined };
          } catch (error) {
            // mermaid leaves its error SVG ("Syntax error in text") in the document: show that instead.
            const left = document.getElementById(`d${id}`);
            if (left) out.appendChild(left);
            return { error: String((error as Error)?.message ?? error) };
          }
        },
        { source, id: `chart${n}` },
      );
      const svg = await page.locator('#out').innerHTML();
      const bars = await page.locator('#out svg g.plot g[class^="bar-plot-"] rect').evaluateAll((rects) =>
        rects.map((r) => {
          const a = (name: string) => Number(r.getAttribute(name));
          return { x: a('x'), y: a('y'), width: a('width'), height: a('height') };
        }),
      );
      // A horizontal chart has its categories on the left axis.
      const axis = /^\s*xychart-beta\s+horizontal/m.test(source) ? 'left-axis' : 'bottom-axis';
      const categories = await page.locator(`#out svg g.${axis} g.label text`).allTextContents();
      const texts = await page.locator('#out svg text').allTextContents();
      const title = (await page.locator('#out svg g.chart-title text').allTextContents()).join('');
      if (png) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.locator('#out > svg').screenshot({ path: path.join(ARTIFACTS, png) });
      }
      return { svg, error: drawn.error, bars, texts, title, categories };
    },
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the page's script uses of the page (the project's TypeScript has no DOM library). */
interface PageElement {
  innerHTML: string;
  appendChild(child: PageElement): void;
}
interface PageGlobals {
  mermaid: {
    initialize(config: Record<string, unknown>): void;
    render(id: string, text: string): Promise<{ svg: string }>;
  };
  document: { getElementById(id: string): PageElement | null };
}

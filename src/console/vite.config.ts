/**
 * Vite build of the web console (ARCHITECTURE.md, "The web console") into `dist/console/`, run by `npm run build`. The page is
 * served at `/` and its assets under `/console/` (see src/http/console-files.ts), hence `base`.
 * Nothing is inlined: the console's Content-Security-Policy allows no inline script or style.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/console/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../../dist/console", import.meta.url)),
    emptyOutDir: true,
    // Keep every asset a file: a `data:` script or style would be refused by the CSP anyway.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});

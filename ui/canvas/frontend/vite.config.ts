import { defineConfig } from "vite";

// Streamlit serves a component from a sub-path, so every asset URL must be relative.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  test: { environment: "node" },
});

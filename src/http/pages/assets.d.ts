// Stylesheets are imported as text (pages.ts); bun-types declares .html and .txt, not .css.

declare module '*.css' {
  const text: string;
  export default text;
}

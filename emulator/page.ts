// The WordPress chat page. Everything but the nonce is rendered once; a request only
// splices its fresh nonce between two cached byte ranges.

import { buildPageFiller } from './page-filler.ts';

export interface ChatPage {
  render(nonce: string): Uint8Array<ArrayBuffer>;
  /** Response headers for the page, without cookies. */
  headers: Readonly<Record<string, string>>;
}

export interface ChatPageOptions {
  /** e.g. "http://127.0.0.1:8090", no trailing slash */
  origin: string;
  fillerBytes: number;
}

const NONCE_MARK = '\u0000NONCE\u0000';

/** WordPress writes URLs inside wp_localize_script JSON with escaped slashes. */
function wpJsonUrl(url: string): string {
  return url.replaceAll('/', '\\/');
}

function head(o: string): string {
  const e = wpJsonUrl(o);
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="profile" href="https://gmpg.org/xfn/11">
<title>Kimi AI Chat &#8211; Free Kimi K2 Chat Online</title>
<meta name='robots' content='index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1' />
<link rel="canonical" href="${o}/chat/" />
<meta property="og:locale" content="en_US" />
<meta property="og:type" content="article" />
<meta property="og:title" content="Kimi AI Chat &#8211; Free Kimi K2 Chat Online" />
<meta property="og:url" content="${o}/chat/" />
<meta property="og:site_name" content="Kimi AI" />
<script type="application/ld+json" class="yoast-schema-graph">{"@context":"https://schema.org","@graph":[{"@type":"WebPage","@id":"${o}/chat/","url":"${o}/chat/","name":"Kimi AI Chat","isPartOf":{"@id":"${o}/#website"},"datePublished":"2025-07-14T08:12:33+00:00","dateModified":"2025-09-05T10:41:02+00:00","inLanguage":"en-US"},{"@type":"WebSite","@id":"${o}/#website","url":"${o}/","name":"Kimi AI","potentialAction":[{"@type":"SearchAction","target":{"@type":"EntryPoint","urlTemplate":"${o}/?s={search_term_string}"},"query-input":{"@type":"PropertyValueSpecification","valueRequired":true,"valueName":"search_term_string"}}]}]}</script>
<link rel='dns-prefetch' href='//fonts.googleapis.com' />
<link rel="alternate" type="application/rss+xml" title="Kimi AI &raquo; Feed" href="${o}/feed/" />
<script>
window._wpemojiSettings = {"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/72x72\\/","ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/svg\\/","svgExt":".svg","source":{"concatemoji":"${e}\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver=6.6.2"}};
/*! This file is auto-generated */
!function(i,n){var o,s,e;function c(e){try{var t={supportTests:e,timestamp:(new Date).valueOf()};sessionStorage.setItem(o,JSON.stringify(t))}catch(e){}}function p(e,t,n){e.clearRect(0,0,e.canvas.width,e.canvas.height),e.fillText(t,0,0);var t=new Uint32Array(e.getImageData(0,0,e.canvas.width,e.canvas.height).data),r=(e.clearRect(0,0,e.canvas.width,e.canvas.height),e.fillText(n,0,0),new Uint32Array(e.getImageData(0,0,e.canvas.width,e.canvas.height).data));return t.every(function(e,t){return e===r[t]})}}(window,document);
</script>
<style id='wp-emoji-styles-inline-css'>
img.wp-smiley, img.emoji { display: inline !important; border: none !important; box-shadow: none !important; height: 1em !important; width: 1em !important; margin: 0 0.07em !important; vertical-align: -0.1em !important; background: none !important; padding: 0 !important; }
</style>
<link rel='stylesheet' id='wp-block-library-css' href='${o}/wp-includes/css/dist/block-library/style.min.css?ver=6.6.2' media='all' />
<style id='global-styles-inline-css'>
:root{--wp--preset--aspect-ratio--square: 1;--wp--preset--aspect-ratio--16-9: 16/9;--wp--preset--color--black: #000000;--wp--preset--color--white: #ffffff;--wp--preset--color--vivid-cyan-blue: #0693e3;--wp--preset--font-size--small: 13px;--wp--preset--font-size--medium: 20px;--wp--preset--spacing--20: 0.44rem;--wp--preset--shadow--natural: 6px 6px 9px rgba(0, 0, 0, 0.2);}
</style>
<link rel='stylesheet' id='kimi-chat-css' href='${o}/wp-content/plugins/kimi-chat/assets/css/chat.css?ver=1.4.2' media='all' />
<link rel='stylesheet' id='astra-theme-css-css' href='${o}/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.8.1' media='all' />
<script src="${o}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script src="${o}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1" id="jquery-migrate-js"></script>
<link rel="https://api.w.org/" href="${o}/wp-json/" /><link rel="alternate" title="JSON" type="application/json" href="${o}/wp-json/wp/v2/pages/42" />
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="${o}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress 6.6.2" />
<link rel='shortlink' href='${o}/?p=42' />
</head>
`;
}

function bodyOpen(o: string): string {
  return `<body class="page-template-default page page-id-42 wp-custom-logo ast-page-builder-template">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<div class="hfeed site" id="page">
<header class="site-header" id="masthead"><nav id="site-navigation"><ul id="primary-menu" class="main-navigation"><li class="menu-item"><a href="${o}/">Home</a></li><li class="menu-item current-menu-item"><a href="${o}/chat/" aria-current="page">Chat</a></li><li class="menu-item"><a href="${o}/blog/">Blog</a></li><li class="menu-item"><a href="${o}/faq/">FAQ</a></li></ul></nav></header>
<div id="content" class="site-content">
<main id="main" class="site-main">
<article id="post-42" class="post-42 page type-page status-publish hentry">
<h1 class="entry-title">Kimi AI Chat</h1>
<div id="kimi-chat-app" class="kimi-chat-container">
<div class="kimi-chat-header"><select id="kimi-model-select" name="model"><option value="moonshotai/Kimi-K2-Instruct-0905" selected>Kimi K2 Instruct 0905</option><option value="moonshotai/Kimi-K2-Instruct">Kimi K2 Instruct</option></select><button type="button" id="kimi-new-chat">New chat</button></div>
<div id="kimi-chat-messages" class="kimi-chat-messages" aria-live="polite"></div>
<form id="kimi-chat-form" class="kimi-chat-form"><textarea id="kimi-chat-input" maxlength="1000" placeholder="Ask Kimi anything..." rows="3"></textarea><span class="kimi-char-count">0/1000</span><button type="submit" id="kimi-send">Send</button></form>
</div>
`;
}

function bodyClose(o: string, jsonBlob: string): string {
  const e = wpJsonUrl(o);
  return `</article>
</main>
</div>
<footer class="site-footer" id="colophon"><div class="ast-small-footer">Copyright &copy; 2025 Kimi AI | Not affiliated with Moonshot AI</div></footer>
</div>
<script type="application/json" id="kimi-chat-i18n">${jsonBlob}</script>
<script src="${o}/wp-includes/js/dist/hooks.min.js?ver=2810c76e705dd1a53b18" id="wp-hooks-js"></script>
<script src="${o}/wp-includes/js/dist/i18n.min.js?ver=5e580eb46a90c2b997e6" id="wp-i18n-js"></script>
<script id="wp-i18n-js-after">
wp.i18n.setLocaleData( { 'text direction\\u0004ltr': [ 'ltr' ] } );
</script>
<script id="contact-form-7-js-extra">
var wpcf7 = {"api":{"root":"${e}\\/wp-json\\/","namespace":"contact-form-7\\/v1"},"cached":"1"};
</script>
<script type="text/javascript" id="kimi-chat-js-extra">
/* <![CDATA[ */
var kimi_ajax = {"ajax_url":"${e}\\/wp-admin\\/admin-ajax.php","nonce":"${NONCE_MARK}","strings":{"error":"Error"}};
/* ]]> */
</script>
<script src="${o}/wp-content/plugins/kimi-chat/assets/js/chat.js?ver=1.4.2" id="kimi-chat-js"></script>
<script>
jQuery(function ($) { if (window.kimi_ajax) { $('#kimi-chat-app').attr('data-ready', '1'); } });
</script>
</body>
</html>
`;
}

function pageHeaders(o: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=UTF-8',
    server: 'nginx',
    vary: 'Accept-Encoding',
    link: `<${o}/wp-json/>; rel="https://api.w.org/", <${o}/wp-json/wp/v2/pages/42>; rel="alternate"; type="application/json", <${o}/?p=42>; rel=shortlink`,
    'x-powered-by': 'PHP/8.2.24',
  };
}

export function createChatPage(options: ChatPageOptions): ChatPage {
  const { origin, fillerBytes } = options;
  const filler = buildPageFiller(fillerBytes, origin);
  const html = head(origin) + bodyOpen(origin) + filler.articles + bodyClose(origin, filler.jsonBlob);
  const [before = '', after = ''] = html.split(NONCE_MARK);
  const encoder = new TextEncoder();
  const prefix = encoder.encode(before);
  const suffix = encoder.encode(after);
  return {
    headers: pageHeaders(origin),
    render(nonce: string): Uint8Array<ArrayBuffer> {
      const nonceBytes = encoder.encode(nonce);
      const out = new Uint8Array(prefix.length + nonceBytes.length + suffix.length);
      out.set(prefix, 0);
      out.set(nonceBytes, prefix.length);
      out.set(suffix, prefix.length + nonceBytes.length);
      return out;
    },
  };
}

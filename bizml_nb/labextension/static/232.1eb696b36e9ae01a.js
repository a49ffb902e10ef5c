"use strict";(self.rspackChunkbizml_nb=self.rspackChunkbizml_nb||[]).push([[232],{24(e,r,a){var t=a(25),o=a.n(t),i=a(26),n=(a.n(i))()(o());n.push([e.id,`/* bizml_nb in JupyterLab: verdict badges, the KPI panel, the template form. */

.bizml-cell-badge-row {
  display: flex;
  justify-content: flex-end;
  padding: 0 var(--jp-cell-padding, 5px) 2px 0;
  min-height: 18px;
}

.bizml-cell-badge {
  border: 1px solid transparent;
  border-radius: 10px;
  padding: 0 8px;
  font-family: var(--jp-ui-font-family);
  font-size: var(--jp-ui-font-size0, 11px);
  line-height: 16px;
  white-space: nowrap;
  cursor: pointer;
  color: #57606a;
  background: #f6f8fa;
}

.bizml-cell-badge:disabled {
  cursor: default;
  border-color: var(--jp-border-color2);
}

.bizml-cell-badge[data-verdict='material'],
.bizml-verdict[data-verdict='material'] {
  color: #116329;
  background: #dafbe1;
}

.bizml-cell-badge[data-verdict='uncertain'],
.bizml-verdict[data-verdict='uncertain'] {
  color: #7d4e00;
  background: #fff8c5;
}

.bizml-cell-badge[data-verdict='harmful'],
.bizml-verdict[data-verdict='harmful'] {
  color: #a40e26;
  background: #ffebe9;
}

.bizml-cell-badge[data-verdict='not material'],
.bizml-verdict[data-verdict='not material'] {
  color: #57606a;
  background: #eaeef2;
}

.bizml-cell-badge[data-verdict='not measurable'],
.bizml-verdict[data-verdict='not measurable'] {
  color: #57606a;
  background: #f6f8fa;
  border-color: #d0d7de;
}

.bizml-cell-badge[data-verdict='baseline'],
.bizml-verdict[data-verdict='baseline'] {
  color: #0550ae;
  background: #ddf4ff;
}

.bizml-panel {
  overflow: auto;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
}

.bizml-panel-body {
  padding: 8px 12px;
}

.bizml-panel-head h2 {
  margin: 0 0 2px;
  font-size: var(--jp-ui-font-size3);
}

.bizml-project-about,
.bizml-kpi-facts,
.bizml-kpi-count {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
}

.bizml-panel .jp-Button {
  margin: 4px 4px 4px 0;
  padding: 0 8px;
  min-height: 20px;
  border: 1px solid var(--jp-border-color1);
  border-radius: 3px;
  background: var(--jp-layout-color2);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size0);
}

.bizml-tag[aria-pressed='true'] {
  background: var(--jp-brand-color1);
  color: var(--jp-ui-inverse-font-color1);
}

.bizml-kpi {
  margin: 12px 0;
  border-top: 1px solid var(--jp-border-color2);
}

.bizml-kpi h3,
.bizml-tree h3,
.bizml-run-detail h3 {
  margin: 8px 0 2px;
  font-size: var(--jp-ui-font-size2);
}

.bizml-leaderboard {
  width: 100%;
  border-collapse: collapse;
  margin-top: 4px;
}

.bizml-leaderboard th,
.bizml-leaderboard td {
  padding: 2px 4px;
  text-align: left;
  border-bottom: 1px solid var(--jp-border-color3);
}

.bizml-leaderboard td.bizml-run-value {
  text-align: right;
  white-space: nowrap;
}

.bizml-run {
  cursor: pointer;
}

.bizml-run-selected {
  background: var(--jp-layout-color3);
}

.bizml-verdict {
  border-radius: 8px;
  padding: 0 6px;
  white-space: nowrap;
  font-size: var(--jp-ui-font-size0);
}

.bizml-panel-notice {
  margin: 8px 0;
  padding: 6px 8px;
  border: 1px solid var(--jp-warn-color2);
  border-radius: 4px;
  background: var(--jp-warn-color3);
}

.bizml-run-detail {
  margin: 8px 0;
  padding: 6px 8px;
  border: 1px solid var(--jp-border-color2);
  border-radius: 4px;
}

.bizml-run-detail dl {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 2px 8px;
  margin: 0;
}

.bizml-run-detail dt {
  color: var(--jp-ui-font-color2);
}

.bizml-run-detail dd {
  margin: 0;
  overflow-wrap: anywhere;
}

.bizml-tree ul {
  margin: 2px 0;
  padding-left: 16px;
}

.bizml-template-form,
.bizml-experiment-form {
  display: flex;
  flex-direction: column;
  gap: 6px;
  max-height: 60vh;
  overflow: auto;
  min-width: 420px;
}

.bizml-field {
  display: grid;
  grid-template-columns: 12em 1fr;
  gap: 2px 8px;
  align-items: center;
}

.bizml-field-help {
  grid-column: 2;
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
}

.bizml-template {
  background-image: var(--bizml-template-icon, none);
}
`,""]),a.d(r,{},{A:n})},26(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var a="",t=void 0!==r[5];return r[4]&&(a+="@supports (".concat(r[4],") {")),r[2]&&(a+="@media ".concat(r[2]," {")),t&&(a+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),a+=e(r),t&&(a+="}"),r[2]&&(a+="}"),r[4]&&(a+="}"),a}).join("")},r.i=function(e,a,t,o,i){"string"==typeof e&&(e=[[null,e,void 0]]);var n={};if(t)for(var l=0;l<this.length;l++){var d=this[l][0];null!=d&&(n[d]=!0)}for(var c=0;c<e.length;c++){var p=[].concat(e[c]);t&&n[p[0]]||(void 0!==i&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=i),a&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=a),o&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=o):p[4]="".concat(o)),r.push(p))}},r}},25(e){e.exports=function(e){return e[1]}},18(e){var r=[];function a(e){for(var a=-1,t=0;t<r.length;t++)if(r[t].identifier===e){a=t;break}return a}function t(e,t){for(var o={},i=[],n=0;n<e.length;n++){var l=e[n],d=t.base?l[0]+t.base:l[0],c=o[d]||0,p="".concat(d," ").concat(c);o[d]=c+1;var s=a(p),u={css:l[1],media:l[2],sourceMap:l[3],supports:l[4],layer:l[5]};if(-1!==s)r[s].references++,r[s].updater(u);else{var m=function(e,r){var a=r.domAPI(r);return a.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&a.update(e=r):a.remove()}}(u,t);t.byIndex=n,r.splice(n,0,{identifier:p,updater:m,references:1})}i.push(p)}return i}e.exports=function(e,o){var i=t(e=e||[],o=o||{});return function(e){e=e||[];for(var n=0;n<i.length;n++){var l=a(i[n]);r[l].references--}for(var d=t(e,o),c=0;c<i.length;c++){var p=a(i[c]);0===r[p].references&&(r[p].updater(),r.splice(p,1))}i=d}}},20(e){var r={};e.exports=function(e,a){var t=function(e){if(void 0===r[e]){var a=document.querySelector(e);if(window.HTMLIFrameElement&&a instanceof window.HTMLIFrameElement)try{a=a.contentDocument.head}catch(e){a=null}r[e]=a}return r[e]}(e);if(!t)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");t.appendChild(a)}},22(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},21(e,r,a){e.exports=function(e){var r=a.nc;r&&e.setAttribute("nonce",r)}},19(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(a){var t,o,i;t="",a.supports&&(t+="@supports (".concat(a.supports,") {")),a.media&&(t+="@media ".concat(a.media," {")),(o=void 0!==a.layer)&&(t+="@layer".concat(a.layer.length>0?" ".concat(a.layer):""," {")),t+=a.css,o&&(t+="}"),a.media&&(t+="}"),a.supports&&(t+="}"),(i=a.sourceMap)&&"u">typeof btoa&&(t+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(i))))," */")),e.styleTagTransform(t,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},23(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},17(e,r,a){var t=a(18),o=a.n(t),i=a(19),n=a.n(i),l=a(20),d=a.n(l),c=a(21),p=a.n(c),s=a(22),u=a.n(s),m=a(23),b=a.n(m),f=a(24),v={};v.styleTagTransform=b(),v.setAttributes=p(),v.insert=d().bind(null,"head"),v.domAPI=n(),v.insertStyleElement=u(),o()(f.A,v),f.A&&f.A.locals&&f.A.locals}}]);
"use strict";(self.rspackChunkbizml_nb=self.rspackChunkbizml_nb||[]).push([[232],{24(e,r,t){var o=t(25),n=t.n(o),a=t(26),i=(t.n(a))()(n());i.push([e.id,`/* bizml_nb in JupyterLab: verdict badges, the KPI panel, the template form. */

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
}

.bizml-cell-badge:disabled {
  cursor: default;
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
  border: 1px solid transparent;
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
`,""]),t.d(r,{},{A:i})},26(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var t="",o=void 0!==r[5];return r[4]&&(t+="@supports (".concat(r[4],") {")),r[2]&&(t+="@media ".concat(r[2]," {")),o&&(t+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),t+=e(r),o&&(t+="}"),r[2]&&(t+="}"),r[4]&&(t+="}"),t}).join("")},r.i=function(e,t,o,n,a){"string"==typeof e&&(e=[[null,e,void 0]]);var i={};if(o)for(var l=0;l<this.length;l++){var p=this[l][0];null!=p&&(i[p]=!0)}for(var d=0;d<e.length;d++){var c=[].concat(e[d]);o&&i[c[0]]||(void 0!==a&&(void 0===c[5]||(c[1]="@layer".concat(c[5].length>0?" ".concat(c[5]):""," {").concat(c[1],"}")),c[5]=a),t&&(c[2]&&(c[1]="@media ".concat(c[2]," {").concat(c[1],"}")),c[2]=t),n&&(c[4]?(c[1]="@supports (".concat(c[4],") {").concat(c[1],"}"),c[4]=n):c[4]="".concat(n)),r.push(c))}},r}},25(e){e.exports=function(e){return e[1]}},18(e){var r=[];function t(e){for(var t=-1,o=0;o<r.length;o++)if(r[o].identifier===e){t=o;break}return t}function o(e,o){for(var n={},a=[],i=0;i<e.length;i++){var l=e[i],p=o.base?l[0]+o.base:l[0],d=n[p]||0,c="".concat(p," ").concat(d);n[p]=d+1;var s=t(c),u={css:l[1],media:l[2],sourceMap:l[3],supports:l[4],layer:l[5]};if(-1!==s)r[s].references++,r[s].updater(u);else{var m=function(e,r){var t=r.domAPI(r);return t.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&t.update(e=r):t.remove()}}(u,o);o.byIndex=i,r.splice(i,0,{identifier:c,updater:m,references:1})}a.push(c)}return a}e.exports=function(e,n){var a=o(e=e||[],n=n||{});return function(e){e=e||[];for(var i=0;i<a.length;i++){var l=t(a[i]);r[l].references--}for(var p=o(e,n),d=0;d<a.length;d++){var c=t(a[d]);0===r[c].references&&(r[c].updater(),r.splice(c,1))}a=p}}},20(e){var r={};e.exports=function(e,t){var o=function(e){if(void 0===r[e]){var t=document.querySelector(e);if(window.HTMLIFrameElement&&t instanceof window.HTMLIFrameElement)try{t=t.contentDocument.head}catch(e){t=null}r[e]=t}return r[e]}(e);if(!o)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");o.appendChild(t)}},22(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},21(e,r,t){e.exports=function(e){var r=t.nc;r&&e.setAttribute("nonce",r)}},19(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(t){var o,n,a;o="",t.supports&&(o+="@supports (".concat(t.supports,") {")),t.media&&(o+="@media ".concat(t.media," {")),(n=void 0!==t.layer)&&(o+="@layer".concat(t.layer.length>0?" ".concat(t.layer):""," {")),o+=t.css,n&&(o+="}"),t.media&&(o+="}"),t.supports&&(o+="}"),(a=t.sourceMap)&&"u">typeof btoa&&(o+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(a))))," */")),e.styleTagTransform(o,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},23(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},17(e,r,t){var o=t(18),n=t.n(o),a=t(19),i=t.n(a),l=t(20),p=t.n(l),d=t(21),c=t.n(d),s=t(22),u=t.n(s),m=t(23),f=t.n(m),b=t(24),v={};v.styleTagTransform=f(),v.setAttributes=c(),v.insert=p().bind(null,"head"),v.domAPI=i(),v.insertStyleElement=u(),n()(b.A,v),b.A&&b.A.locals&&b.A.locals}}]);
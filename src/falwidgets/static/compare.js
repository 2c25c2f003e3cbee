var p=`
.fw-compare { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: flex; flex-direction: column; gap: 8px; }
.fw-compare-summary { color: var(--fw-muted, #888); }
.fw-compare-grid { display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
.fw-compare-card { border: 1px solid var(--fw-border, #8884); border-radius: var(--fw-radius, 8px);
  padding: 8px; display: flex; flex-direction: column; gap: 6px; background: var(--fw-bg, transparent); }
.fw-compare-title { font-weight: 600; overflow-wrap: anywhere; min-height: 2.8em; }
.fw-compare-id { color: var(--fw-muted, #888); font-size: 12px; overflow-wrap: anywhere; }
.fw-compare-stats { font-variant-numeric: tabular-nums; font-size: 12px; }
.fw-compare-media { display: flex; flex-wrap: wrap; gap: 4px; min-height: 120px;
  align-items: center; justify-content: center; background: var(--fw-muted-bg, #8881); border-radius: 6px; }
.fw-compare-media img, .fw-compare-media video { max-width: 100%; max-height: 260px; border-radius: 4px; }
.fw-compare-error { color: var(--fw-danger, #c0392b); white-space: pre-wrap; font-size: 12px; }
.fw-compare-dropped { color: var(--fw-muted, #888); font-size: 12px; }
.fw-compare-state { text-transform: capitalize; }
.fw-compare button { font: inherit; cursor: pointer; padding: 3px 8px; border-radius: 4px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
`;function r(t,e={},i=[]){let a=document.createElement(t);for(let[n,o]of Object.entries(e))n==="dataset"?Object.assign(a.dataset,o):n in a?a[n]=o:a.setAttribute(n,o);for(let n of i)a.append(n);return a}function d(t){return t.kind==="image"?r("img",{src:t.url,alt:t.name||"result",loading:"lazy"}):t.kind==="video"?r("video",{src:t.url,controls:!0,muted:!0,loop:!0}):t.kind==="audio"?r("audio",{src:t.url,controls:!0}):r("a",{href:t.url,target:"_blank",rel:"noopener",textContent:t.name||t.url})}function f(t,e){let i=[e.state];e.elapsed!=null&&i.push(`${e.elapsed.toFixed(1)} s`),i.push(e.cost||"price unknown");let a=r("div",{className:"fw-compare-media"});if(e.media&&e.media.length)for(let s of e.media)a.append(d(s));else a.append(r("span",{className:"fw-compare-state",textContent:e.state==="done"?"no media":`${e.state}\u2026`}));let n=r("button",{className:"fw-compare-open",textContent:"Open in app",type:"button"});n.addEventListener("click",()=>t.send({type:"open",endpoint_id:e.endpoint_id}));let o=[r("div",{className:"fw-compare-title",textContent:e.title}),r("div",{className:"fw-compare-id",textContent:e.endpoint_id}),r("div",{className:"fw-compare-stats",textContent:i.join(" \xB7 ")}),a];return e.error&&o.push(r("div",{className:"fw-compare-error",textContent:e.error})),e.dropped&&e.dropped.length&&o.push(r("div",{className:"fw-compare-dropped",textContent:`not taken: ${e.dropped.join(", ")}`})),e.missing&&e.missing.length&&o.push(r("div",{className:"fw-compare-dropped",textContent:`required, not given: ${e.missing.join(", ")}`})),o.push(n),r("div",{className:"fw-compare-card",dataset:{endpoint:e.endpoint_id,state:e.state}},o)}function c({model:t,el:e}){e.append(r("style",{textContent:p}));let i=r("div",{className:"fw-compare-summary"}),a=r("div",{className:"fw-compare-grid"});e.append(r("div",{className:"fw-compare"},[i,a]));let n=()=>{i.textContent=t.get("summary")||"",a.replaceChildren(...(t.get("cells")||[]).map(o=>f(t,o)))};t.on("change:cells",n),t.on("change:summary",n),n()}var m={render:c};export{m as default};

var x=`
.fw-live { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: grid; grid-template-columns: minmax(220px, 1fr) minmax(240px, 1.4fr); gap: 12px;
  padding: 10px; border: 1px solid var(--fw-border, #8884); border-radius: var(--fw-radius, 8px);
  background: var(--fw-bg, transparent); }
.fw-live-controls { display: flex; flex-direction: column; gap: 8px; }
.fw-live label { display: flex; flex-direction: column; gap: 3px; font-weight: 600; }
.fw-live textarea, .fw-live input[type=number] { font: inherit; padding: 4px 6px;
  border: 1px solid var(--fw-border, #8886); border-radius: 4px; background: var(--fw-input-bg, transparent);
  color: inherit; }
.fw-live textarea { min-height: 56px; resize: vertical; }
.fw-live-row { display: flex; gap: 6px; align-items: center; }
.fw-live-row input[type=number] { flex: 1; }
.fw-live button { font: inherit; cursor: pointer; padding: 3px 8px; border-radius: 4px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
.fw-live-switch { flex-direction: row !important; align-items: center; gap: 6px; font-weight: 600; }
.fw-live-view { display: flex; flex-direction: column; gap: 6px; }
.fw-live-view img { width: 100%; max-width: 512px; aspect-ratio: 1 / 1; object-fit: contain;
  background: var(--fw-muted-bg, #8881); border-radius: 6px; }
.fw-live-stats { font-variant-numeric: tabular-nums; color: var(--fw-muted, #888); }
.fw-live-error { color: var(--fw-danger, #c0392b); white-space: pre-wrap; }
.fw-live-note { color: var(--fw-muted, #888); font-size: 12px; }
`;function r(e,t={},a=[]){let n=document.createElement(e);for(let[i,s]of Object.entries(t))i==="dataset"?Object.assign(n.dataset,s):i in n?n[i]=s:n.setAttribute(i,s);for(let i of a)n.append(i);return n}function v(e,t,a){let n={...e.get("value")||{}};n[t]=a,e.set("value",n),e.save_changes()}function h(e,t){let a=r("textarea",{name:t.name,placeholder:"Describe the picture\u2026"});return a.value=(e.get("value")||{})[t.name]??"",a.addEventListener("input",()=>v(e,t.name,a.value)),r("label",{},[t.label||"Prompt",a])}function y(e,t){let a=r("input",{type:"number",name:t.name,step:1});a.value=(e.get("value")||{})[t.name]??"";let n=()=>{let s=Number.parseInt(a.value,10);Number.isFinite(s)&&v(e,t.name,s)};a.addEventListener("input",n);let i=r("button",{type:"button",title:"Random seed",textContent:"Random"});return i.addEventListener("click",()=>{a.value=String(Math.floor(Math.random()*2**31)),n()}),r("label",{},[t.label||"Seed",r("div",{className:"fw-live-row"},[a,i])])}function N(e,t){let a=r("input",{type:"range",name:t.name,min:t.min,max:t.max,step:t.step});a.value=(e.get("value")||{})[t.name]??t.default??t.min;let n=r("span",{className:"fw-live-stats",textContent:String(a.value)});return a.addEventListener("input",()=>{n.textContent=a.value,v(e,t.name,Number(a.value))}),r("label",{},[t.label||t.name,r("div",{className:"fw-live-row"},[a,n])])}var L={prompt:h,seed:y,slider:N};function k({model:e,el:t}){let a=r("div",{className:"fw-live",dataset:{frames:"0",framePrompt:""}}),n=r("div",{className:"fw-live-controls"});for(let o of e.get("controls")||[]){let l=L[o.kind];l&&n.append(l(e,o))}let i=r("input",{type:"checkbox",name:"live"});i.checked=e.get("live"),i.addEventListener("change",()=>{e.set("live",i.checked),e.save_changes()}),n.append(r("label",{className:"fw-live-switch"},[i,"Live"])),n.append(r("div",{className:"fw-live-note",textContent:e.get("note")||""}));let s=r("img",{alt:"latest frame"}),d=r("div",{className:"fw-live-stats"}),m=r("div",{className:"fw-live-error",role:"alert"}),w=r("div",{className:"fw-live-view"},[s,d,m]);a.append(n,w),t.append(r("style",{textContent:x}),a);let f=null,u=()=>{let o=e.get("frame_url"),l=e.get("frame"),c=o;if(!o&&l&&l.byteLength){let b=new Blob([l],{type:e.get("frame_mime")||"image/jpeg"});c=URL.createObjectURL(b)}c&&(f&&URL.revokeObjectURL(f),f=c.startsWith("blob:")?c:null,s.src=c)},p=()=>{let o=e.get("frames"),l=e.get("fps"),c=e.get("latency_ms");d.textContent=o?`${l.toFixed(1)} fps \xB7 ${c.toFixed(0)} ms latency \xB7 ${o} frames`:"No frames yet: edit the prompt",a.dataset.frames=String(o),a.dataset.framePrompt=e.get("frame_prompt")||""},g=()=>{m.textContent=e.get("error")||""};return e.on("change:frame",u),e.on("change:frame_url",u),e.on("change:frames",p),e.on("change:fps",p),e.on("change:latency_ms",p),e.on("change:frame_prompt",p),e.on("change:error",g),u(),p(),g(),()=>{f&&URL.revokeObjectURL(f)}}var C={render:k};export{C as default};

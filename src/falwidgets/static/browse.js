var h=`
.fw-browse { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: flex; flex-direction: column; gap: 8px; }
.fw-browse-search { font: inherit; padding: 6px 8px; border: 1px solid var(--fw-border, #8886);
  border-radius: 6px; background: var(--fw-input-bg, transparent); color: inherit; width: 100%; box-sizing: border-box; }
.fw-browse-chips { display: flex; flex-wrap: wrap; gap: 4px; }
.fw-browse-chip { font: inherit; font-size: 12px; cursor: pointer; padding: 2px 8px; border-radius: 999px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
.fw-browse-chip[aria-pressed="true"] { background: var(--fw-accent, #3b82f6); color: var(--fw-accent-fg, #fff);
  border-color: var(--fw-accent, #3b82f6); }
.fw-browse-status { color: var(--fw-muted, #888); font-size: 12px; }
.fw-browse-list { display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  max-height: 520px; overflow: auto; }
.fw-browse-card { display: grid; grid-template-columns: 56px 1fr; gap: 8px; text-align: left; font: inherit;
  color: inherit; cursor: pointer; padding: 6px; border-radius: var(--fw-radius, 8px);
  border: 1px solid var(--fw-border, #8884); background: var(--fw-bg, transparent); }
.fw-browse-card:hover, .fw-browse-card:focus { border-color: var(--fw-accent, #3b82f6); outline: none; }
.fw-browse-thumb { width: 56px; height: 56px; object-fit: cover; border-radius: 6px; background: var(--fw-muted-bg, #8881); }
.fw-browse-name { font-weight: 600; overflow-wrap: anywhere; }
.fw-browse-id, .fw-browse-meta { color: var(--fw-muted, #888); font-size: 12px; overflow-wrap: anywhere; }
.fw-browse-desc { font-size: 12px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
`;function t(e,r={},n=[]){let o=document.createElement(e);for(let[a,i]of Object.entries(r))a==="dataset"?Object.assign(o.dataset,i):a in o?o[a]=i:o.setAttribute(a,i);for(let a of n)o.append(a);return o}function x(e,r){let n=t("div",{className:"fw-browse-thumb"});if(r.thumbnail_url){let i=t("img",{className:"fw-browse-thumb",src:r.thumbnail_url,alt:"",loading:"lazy"});i.addEventListener("error",()=>i.replaceWith(t("div",{className:"fw-browse-thumb"}))),n=i}let o=[r.category,r.price||"price unknown"].filter(Boolean).join(" \xB7 "),a=t("button",{className:"fw-browse-card",type:"button",dataset:{endpoint:r.endpoint_id}},[n,t("div",{},[t("div",{className:"fw-browse-name",textContent:r.display_name}),t("div",{className:"fw-browse-id",textContent:r.endpoint_id}),t("div",{className:"fw-browse-meta",textContent:o}),t("div",{className:"fw-browse-desc",textContent:r.description||""})])]);return a.addEventListener("click",()=>e.send({type:"pick",endpoint_id:r.endpoint_id})),a}function v({model:e,el:r}){r.append(t("style",{textContent:h}));let n=t("input",{className:"fw-browse-search",type:"search",placeholder:"Search models: flux, upscale video, text to speech\u2026"});n.value=e.get("query")||"";let o=t("div",{className:"fw-browse-chips"}),a=t("div",{className:"fw-browse-status"}),i=t("div",{className:"fw-browse-list"});r.append(t("div",{className:"fw-browse"},[n,o,a,i])),n.addEventListener("input",()=>{e.set("query",n.value),e.save_changes()});let d=!1,w=()=>{let c=e.get("category")||"",p=e.get("categories")||[],g=d?p:p.filter((s,l)=>l<10||s[0]===c),u=[["","All"],...g.map(s=>[s[0],`${s[0]} (${s[1]})`])].map(([s,l])=>{let b=t("button",{className:"fw-browse-chip",type:"button",textContent:l,dataset:{category:s}});return b.setAttribute("aria-pressed",String(s===c)),b.addEventListener("click",()=>{e.set("category",s===c?"":s),e.save_changes()}),b});if(p.length>10){let s=t("button",{className:"fw-browse-chip fw-browse-more",type:"button",textContent:d?"Fewer":`More\u2026 (${p.length-10})`});s.addEventListener("click",()=>{d=!d,w()}),u.push(s)}o.replaceChildren(...u)},f=()=>{a.textContent=e.get("status")||"",i.replaceChildren(...(e.get("results")||[]).map(c=>x(e,c)))};e.on("change:results",f),e.on("change:status",f),e.on("change:categories",w),e.on("change:category",w),e.on("change:query",()=>{n.value!==e.get("query")&&(n.value=e.get("query"))}),w(),f()}var y={render:v};export{y as default};

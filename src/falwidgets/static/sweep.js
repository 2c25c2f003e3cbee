var t={render({el:e}){e.textContent="sweep"}};export{t as default};

var e={render({el:t}){t.textContent="history"}};export{e as default};

// Sort a table.sortable by the clicked column: numbers by their data-sort value,
// text (th[data-type=text]) by Vietnamese collation. The page works without it.
document.addEventListener("click", function (event) {
  var th = event.target.closest("table.sortable th");
  if (!th) return;
  var table = th.closest("table"), body = table.tBodies[0];
  var column = Array.prototype.indexOf.call(th.parentNode.children, th);
  var text = th.dataset.type === "text";
  var ascending = th.getAttribute("aria-sort") !== "ascending";
  var key = function (row) {
    var cell = row.cells[column];
    var value = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    return text ? value : parseFloat(value);
  };
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    var order = text ? x.localeCompare(y, "vi") : x - y;
    return ascending ? order : -order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
  Array.prototype.forEach.call(th.parentNode.children, function (other) {
    other.removeAttribute("aria-sort");
  });
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
});

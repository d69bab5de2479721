/* The home page's charts (ECharts). The figures come from the page's json_script block. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var list = document.getElementById("dashboard").getAttribute("data-list-url");

  function bar(id, rows, query) {
    var chart = echarts.init(document.getElementById(id));
    chart.setOption({
      grid: {left: 150, right: 30, top: 10, bottom: 20},
      // richText: the tooltip is drawn on the canvas, not as HTML with style attributes (refused by the CSP)
      tooltip: {renderMode: "richText"},
      xAxis: {type: "value"},
      yAxis: {type: "category", inverse: true, data: rows.map(function (r) { return r.name.length > 12 ? r.name.slice(0, 12) + "…" : r.name; })},
      series: [{type: "bar", data: rows.map(function (r) { return r.count; }), itemStyle: {color: "#0d6efd"}}]
    });
    chart.on("click", function (p) { window.location = list + "?" + query(rows[p.dataIndex]); });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  bar("chart-categories", data.categories, function (r) { return "category=" + r.code; });
  bar("chart-structures", data.structures, function (r) { return "structure_type=" + r.code; });
  bar("chart-ages", data.ages, function (r) { return "year_from=" + r.from + "&year_to=" + r.to; });
})();

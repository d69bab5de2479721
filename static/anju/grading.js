/* The grade of a house by rules R1–R5 (domain 6.1): the same rules as inspections/grading.py,
   which serves the rule data (components, applicability, rule texts) as JSON. A browser test
   checks both give the same answer for every combination. */
(function (root) {
  "use strict";
  var ORDER = ["A", "B", "C", "D"];

  function applicable(rules, structure) {
    return rules.applicable[structure] || rules.all;
  }

  function compute(rules, structure, siteDangerous, components) {
    var allowed = applicable(rules, structure);
    var keys = Object.keys(components);
    for (var i = 0; i < keys.length; i++) {
      var g = components[keys[i]];
      if (allowed.indexOf(keys[i]) < 0) return { error: "构件不适用于该结构形式" };
      if (g !== null && ["a", "b", "c", "d"].indexOf(g) < 0) return { error: "构件等级只能是 a、b、c、d" };
    }
    if (siteDangerous) return { grade: "D", rule: "R1", deciding: ["site"] };
    var graded = keys.filter(function (k) { return components[k] !== null; });
    if (!graded.length) return { error: "请至少评定一个构件的危险性等级" };
    var steps = [["d", "R2"], ["c", "R3"], ["b", "R4"]];
    for (var s = 0; s < steps.length; s++) {
      var deciding = allowed.filter(function (k) { return components[k] === steps[s][0]; });
      if (deciding.length) return { grade: steps[s][0].toUpperCase(), rule: steps[s][1], deciding: deciding };
    }
    return { grade: "A", rule: "R5", deciding: [] };
  }

  function explain(rules, result) {
    var labels = {};
    rules.components.forEach(function (c) { labels[c.key] = c.label; });
    var names = result.deciding.map(function (k) { return k === "site" ? "场地" : labels[k]; });
    return result.rule + "：" + rules.rules[result.rule] + (names.length ? "（" + names.join("、") + "）" : "");
  }

  function isRaise(computed, raised) {
    return ORDER.indexOf(raised) > ORDER.indexOf(computed);
  }

  root.AnjuGrading = { compute: compute, explain: explain, applicable: applicable, isRaise: isRaise, ORDER: ORDER };
})(typeof self !== "undefined" ? self : this);

/* The grade of a house by rules R1–R5 (domain 6.1): the same rules as inspections/grading.py,
   which serves the rule data (components, applicability, the "无此构件" value, rule texts) as JSON.
   Every applicable component must be answered (a–d, or rules.absent for "无此构件"); a blank is
   refused by name, never taken as "not applicable" (ADR 0031). A browser test checks both give the
   same answer, and the same message, for every combination. */
(function (root) {
  "use strict";
  var ORDER = ["A", "B", "C", "D"];
  var GRADES = ["a", "b", "c", "d"];

  function applicable(rules, structure) {
    return rules.applicable[structure] || rules.all;
  }

  function labelOf(rules, key) {
    var found = rules.components.filter(function (c) { return c.key === key; })[0];
    return found ? found.label : key;
  }

  function isBlank(value) { return value === null || value === undefined; }

  /* The applicable components not yet answered, in the form's order. */
  function blanks(rules, structure, components) {
    return applicable(rules, structure).filter(function (k) {
      return !Object.prototype.hasOwnProperty.call(components, k) || isBlank(components[k]);
    });
  }

  function compute(rules, structure, siteDangerous, components) {
    var allowed = applicable(rules, structure);
    var keys = Object.keys(components);
    for (var i = 0; i < keys.length; i++) {
      var g = components[keys[i]];
      if (allowed.indexOf(keys[i]) < 0) return { error: "“" + labelOf(rules, keys[i]) + "”不适用于该结构形式" };
      if (!isBlank(g) && GRADES.indexOf(g) < 0 && g !== rules.absent) {
        return { error: "构件等级只能是 a、b、c、d 或“无此构件”，不能是“" + g + "”" };
      }
    }
    var missing = blanks(rules, structure, components);
    if (missing.length) {
      return {
        error: "以下构件尚未评定：" + missing.map(function (k) { return labelOf(rules, k); }).join("、") + "。房屋没有的构件请选“无此构件”",
        blanks: missing,
      };
    }
    var graded = allowed.filter(function (k) { return GRADES.indexOf(components[k]) >= 0; });
    if (!graded.length) return { error: "请至少评定一个构件的危险性等级" };
    if (siteDangerous) return { grade: "D", rule: "R1", deciding: ["site"] };
    var steps = [["d", "R2"], ["c", "R3"], ["b", "R4"]];
    for (var s = 0; s < steps.length; s++) {
      var deciding = allowed.filter(function (k) { return components[k] === steps[s][0]; });
      if (deciding.length) return { grade: steps[s][0].toUpperCase(), rule: steps[s][1], deciding: deciding };
    }
    return { grade: "A", rule: "R5", deciding: [] };
  }

  function explain(rules, result) {
    var names = result.deciding.map(function (k) { return k === "site" ? "场地" : labelOf(rules, k); });
    return result.rule + "：" + rules.rules[result.rule] + (names.length ? "（" + names.join("、") + "）" : "");
  }

  function isRaise(computed, raised) {
    return ORDER.indexOf(raised) > ORDER.indexOf(computed);
  }

  root.AnjuGrading = {
    compute: compute, explain: explain, applicable: applicable, blanks: blanks, labelOf: labelOf, isRaise: isRaise, ORDER: ORDER,
  };
})(typeof self !== "undefined" ? self : this);

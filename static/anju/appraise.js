/* The appraisal form: recompute the grade whenever a component, the site or the raise changes. */
(function () {
  "use strict";
  var rules = JSON.parse(document.getElementById("grading-rules").textContent);
  var form = document.getElementById("appraisal-form");
  var structure = form.dataset.structure;
  var box = document.getElementById("grade-box");

  function picked() {
    var out = {};
    AnjuGrading.applicable(rules, structure).forEach(function (key) {
      var checked = form.querySelector('input[name="c_' + key + '"]:checked');
      out[key] = checked && checked.value ? checked.value : null;
    });
    return out;
  }

  function update() {
    var site = form.querySelector('input[name="site_dangerous"]').checked;
    var result = AnjuGrading.compute(rules, structure, site, picked());
    var raised = form.querySelector('select[name="raised_to"]').value;
    box.className = "grade-box";
    if (result.error) {
      box.querySelector(".grade").textContent = "—";
      box.querySelector(".rule").textContent = result.error;
      return;
    }
    var final = result.grade, note = "";
    if (raised && raised !== result.grade) {
      if (AnjuGrading.isRaise(result.grade, raised)) { final = raised; note = "（按规则为 " + result.grade + " 级，已调高，须写明理由）"; }
      else { note = "（不能低于按规则评定的 " + result.grade + " 级）"; box.classList.add("invalid"); }
    }
    box.classList.add("grade-" + final);
    box.querySelector(".grade").textContent = final + " 级";
    box.querySelector(".rule").textContent = AnjuGrading.explain(rules, result) + note;
    box.dataset.grade = final;
    box.dataset.rule = result.rule;
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();

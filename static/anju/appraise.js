/* The appraisal form: recompute the grade whenever a component, the site or the raise changes; before
   it submits, name the components still blank (every one must be a–d or “无此构件”, ADR 0031). */
(function () {
  "use strict";
  var rules = JSON.parse(document.getElementById("grading-rules").textContent);
  var form = document.getElementById("appraisal-form");
  var structure = form.dataset.structure;
  var box = document.getElementById("grade-box");
  var warning = document.getElementById("blank-warning");

  function picked() {
    var out = {};
    AnjuGrading.applicable(rules, structure).forEach(function (key) {
      var checked = form.querySelector('input[name="c_' + key + '"]:checked');
      out[key] = checked && checked.value ? checked.value : null;
    });
    return out;
  }

  /* Mark the blank components (and only those); the marks clear as each is answered. */
  function markBlanks(blank) {
    form.querySelectorAll("fieldset[data-key]").forEach(function (fs) {
      var isBlank = blank.indexOf(fs.dataset.key) >= 0, note = fs.querySelector("[data-blank]");
      fs.classList.toggle("border-danger", isBlank);
      if (isBlank && !note) {
        note = document.createElement("small");
        note.className = "text-danger fw-normal ms-1";
        note.setAttribute("data-blank", "");
        note.textContent = "尚未评定";
        fs.querySelector("legend").appendChild(note);
      } else if (!isBlank && note) {
        note.remove();
      }
    });
  }

  function update() {
    var comps = picked();
    var site = form.querySelector('input[name="site_dangerous"]').checked;
    var result = AnjuGrading.compute(rules, structure, site, comps);
    var raised = form.querySelector('select[name="raised_to"]').value;
    box.className = "grade-box";
    box.dataset.grade = "";
    box.dataset.rule = "";
    if (form.querySelector("[data-blank]")) markBlanks(AnjuGrading.blanks(rules, structure, comps));
    if (!result.error) warning.classList.add("d-none");
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

  /* Nothing is sent while a component is blank: the warning names them and the first one gets the focus. */
  function check(ev) {
    var comps = picked(), result = AnjuGrading.compute(rules, structure, form.querySelector('input[name="site_dangerous"]').checked, comps);
    if (!result.error) return;
    ev.preventDefault();
    var blank = AnjuGrading.blanks(rules, structure, comps);
    markBlanks(blank);
    warning.textContent = result.error;
    warning.classList.remove("d-none");
    var first = blank.length ? form.querySelector('input[name="c_' + blank[0] + '"]') : null;
    (first || warning).scrollIntoView({ block: "center" });
    if (first) first.focus();
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  form.addEventListener("submit", check);
  update();
})();

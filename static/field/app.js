/* 安居 field app: works offline on a phone, syncs by itself when the network returns.
   Records go to the outbox first (IndexedDB) and are sent by uid, so a resend is harmless;
   photos follow their record in pieces, resuming at the offset the server reports. It talks
   only to /api/ (token auth). */
(function () {
  "use strict";
  var PAGE = document.body.dataset;  // the addresses, from the page's data- attributes (no inline script: CSP)
  window.ANJU_FIELD = window.ANJU_FIELD || { api: PAGE.api, sw: PAGE.sw, scope: PAGE.scope };
  var API = window.ANJU_FIELD.api, S = window.AnjuStore, G = window.AnjuGrading;
  var BATCH = 50, CHUNK = window.ANJU_FIELD_CHUNK || 64 * 1024, MAX_SIDE = 1600, QUALITY = 0.7;
  var state = { token: null, config: null, households: [], villages: {}, current: null, capture: null, syncing: null, again: false };

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $$(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function today() { var d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }

  var history = [];
  function show(name, remember) {
    var currentScreen = $(".screen:not(.d-none)");
    if (remember !== false && currentScreen) history.push(currentScreen.id.replace("screen-", ""));
    $$(".screen").forEach(function (s) { s.classList.add("d-none"); });
    $("#screen-" + name).classList.remove("d-none");
    window.scrollTo(0, 0);
  }
  function back() { show(history.pop() || "home", false); if (!$("#screen-home").classList.contains("d-none")) refreshHome(); }
  function toast(text, kind) {
    var t = $("#toast"); t.className = "alert alert-" + (kind || "success"); t.textContent = text;
    clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.className = "alert d-none"; }, 4000);
  }

  // --- network ------------------------------------------------------------------------------
  function api(path, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Token " + state.token;
    var body = options.body;
    if (options.json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(options.json); }
    if (options.type) headers["Content-Type"] = options.type;
    return fetch(API + path, { method: options.method || "GET", headers: headers, body: body, credentials: "omit" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401) { toast("登录已失效，请重新登录（本机数据不会丢失）", "warning"); logout(true); }
          return { status: r.status, ok: r.ok, data: data };
        });
      });
  }
  function updateNet() {
    var on = navigator.onLine, el = $("#net");
    el.textContent = on ? "在线" : "离线"; el.classList.toggle("offline", !on);
  }

  // --- login and start ----------------------------------------------------------------------
  function login(ev) {
    ev.preventDefault();
    var f = ev.target, err = $("#login-error");
    err.textContent = "";
    if (!navigator.onLine) { err.textContent = "首次登录需要网络。"; return; }
    fetch(API + "auth/token/", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: f.username.value.trim(), password: f.password.value, otp: f.otp.value.trim(), name: "现场核查 App" }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
      .then(function (res) {
        if (res.d.otp_required) f.otp.classList.remove("d-none");  // roles that need the second factor
        if (!res.ok) { err.textContent = res.d.detail || "登录失败"; return; }
        state.token = res.d.token;
        return S.meta("token", state.token).then(loadConfig).then(start);
      })
      .catch(function () { err.textContent = "无法连接服务器，请检查网络。"; });
  }
  function logout(keepData) {
    if (state.token && navigator.onLine) fetch(API + "auth/logout/", { method: "POST", headers: { Authorization: "Token " + state.token } }).catch(function () {});
    state.token = null;
    S.meta("token", null).then(function () { show("login", false); });
    if (keepData !== true) toast("已退出。本机未上传的记录会在下次登录后继续上传。", "info");
  }
  function loadConfig() {
    return api("field/config/").then(function (r) {
      if (!r.ok) throw new Error("config");
      state.config = r.data;
      return S.meta("config", r.data);
    });
  }
  function start() {
    var c = state.config;
    $("#who").textContent = c.user.name + " · " + c.user.region_name;
    return S.all("households").then(function (list) {
      state.households = list;
      return S.meta("villages");
    }).then(function (v) {
      state.villages = v || {};
      show("home", false);
      refreshHome();
      syncNow();
    });
  }

  // --- villages and households --------------------------------------------------------------
  function pickVillages() {
    var box = $("#village-picker");
    if (!box.classList.contains("d-none")) { box.classList.add("d-none"); return; }
    if (!navigator.onLine) { toast("下载村庄数据需要网络。", "warning"); return; }
    api("field/villages/").then(function (r) {
      box.classList.remove("d-none");
      $("#village-list").innerHTML = r.data.villages.map(function (v) {
        var have = state.villages[v.code] ? " ✓" : "";
        return '<label data-name="' + esc(v.town + v.name) + '"><input type="checkbox" value="' + v.code + '" data-vname="' +
          esc(v.name) + '"> ' + esc(v.town) + " " + esc(v.name) + " <small>（" + v.households + " 户）" + have + "</small></label>";
      }).join("") + '<button class="btn btn-sm btn-primary mt-2" id="download">下载所选村庄</button>';
      $("#download").onclick = downloadVillages;
    });
  }
  function downloadVillages() {
    var picked = $$("#village-list input:checked");
    if (!picked.length) { toast("请先勾选村庄。", "warning"); return; }
    var done = 0;
    return picked.reduce(function (p, input) {
      return p.then(function () {
        $("#sync-status").textContent = "正在下载 " + input.dataset.vname + "（" + (++done) + "/" + picked.length + "）…";
        return api("field/households/?village=" + input.value).then(function (r) {
          if (!r.ok) throw new Error("download");
          var name = input.dataset.vname;
          var rows = r.data.households.map(function (h) {
            h.village_name = name; h.downloaded_at = r.data.downloaded_at; return h;
          });
          state.villages[input.value] = { name: name, count: rows.length, at: r.data.downloaded_at };
          return S.putMany("households", rows).then(function () { return S.meta("villages", state.villages); });
        });
      });
    }, Promise.resolve()).then(function () {
      return S.all("households");
    }).then(function (list) {
      state.households = list;
      $("#village-picker").classList.add("d-none");
      $("#sync-status").textContent = "";
      toast("已下载 " + picked.length + " 个村的农户数据，可离线使用。");
      refreshHome();
    }).catch(function () { toast("下载中断，请联网后重试。", "danger"); });
  }
  function search() {
    var q = $("#search").value.trim();
    var out = $("#results");
    if (!q) { out.innerHTML = ""; return; }
    var hits = state.households.filter(function (h) {
      return h.head_name.indexOf(q) >= 0 || (h.village_name || "").indexOf(q) >= 0 ||
        h.houses.some(function (x) { return x.code && x.code === q; });
    }).slice(0, 50);
    out.innerHTML = hits.map(function (h) {
      var grade = (h.houses[0] || {}).grade;
      return '<a href="#" class="list-group-item list-group-item-action" data-id="' + h.id + '"><b>' + esc(h.head_name) +
        "</b> <small>" + esc(h.village_name) + " " + esc(h.group_name) + "</small>" +
        (grade ? ' <span class="badge bg-secondary">' + grade + "级</span>" : "") +
        (h.needs_appraisal ? ' <span class="badge bg-warning text-dark">待鉴定</span>' : "") +
        (h.campaign ? ' <span class="badge bg-info text-dark">待排查</span>' : "") + "</a>";
    }).join("") || '<div class="text-muted small p-2">本机数据中没有找到。可先“下载村庄数据”。</div>';
  }
  function openHousehold(id) {
    var h = state.households.find(function (x) { return x.id === id; });
    if (!h) return;
    state.current = h;
    var names = state.config.structure_types || {};
    S.all("outbox").then(function (box) {
      var mine = box.filter(function (r) { return r.household === h.id; });
      $("#household").innerHTML = "<h5>" + esc(h.head_name) + "户</h5><div class='small text-muted'>" + esc(h.village_name) + " " +
        esc(h.group_name) + "</div>" + h.houses.map(function (x) {
          return "<div class='card p-2 mt-2'><div><b>" + esc(x.address || "房屋") + "</b>" + (x.is_dwelling ? " <small>主要居住</small>" : "") +
            "</div><div class='small'>" + esc(names[x.structure_type] || x.structure_type || "结构未填") + " · " + (x.year_built || "—") +
            "年 · " + (x.floor_area || "—") + "㎡</div><div class='small'>鉴定等级：" + (x.grade ? "<b>" + x.grade + "级</b>" : "未鉴定") +
            " · 最近检查：" + (x.checked_on || "—") + (x.code ? " · 房屋码 " + esc(x.code) : "") + "</div><div class='mt-1'>" +
            (state.config.user.can_inspect ? "<button class='btn btn-sm btn-primary me-1' data-inspect='" + x.id + "'>排查</button>" : "") +
            (state.config.user.can_appraise ? "<button class='btn btn-sm btn-warning' data-appraise='" + x.id + "'>鉴定</button>" : "") +
            "</div></div>";
        }).join("") + (h.cases || []).map(function (c) {
          return "<div class='card p-2 mt-2'><div><b>" + c.year + "年危房改造</b> · " + esc(c.state_label) + "</div>" +
            "<button class='btn btn-sm btn-outline-success mt-1' data-construction='" + c.uid + "'>施工照片</button></div>";
        }).join("") + (mine.length ? "<h6 class='mt-3'>本机记录</h6><ul class='small'>" + mine.map(recordLine).join("") + "</ul>" : "");
      show("household");
    });
  }

  // --- capture: GPS and photos --------------------------------------------------------------
  function resetCapture(form) {
    state.capture = { gps: null, photos: [] };
    $("[data-gps-text]", form).textContent = "未定位";
    $("[data-thumbs]", form).innerHTML = "";
  }
  function locate(form) {
    var text = $("[data-gps-text]", form);
    if (!navigator.geolocation) { text.textContent = "本机不支持定位"; return; }
    text.textContent = "定位中…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      state.capture.gps = { latitude: pos.coords.latitude.toFixed(6), longitude: pos.coords.longitude.toFixed(6),
        accuracy: Math.round(pos.coords.accuracy), mock: pos.mocked === true || pos.coords.mocked === true };
      text.textContent = state.capture.gps.latitude + ", " + state.capture.gps.longitude + " ±" + state.capture.gps.accuracy + " 米";
    }, function (err) { text.textContent = "定位失败：" + (err.code === 1 ? "未允许定位" : "请到开阔处重试"); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  function compress(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale); canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("压缩失败")); }, "image/jpeg", QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("无法读取照片")); };
      img.src = url;
    });
  }
  function sha256(blob) {
    if (!window.crypto || !crypto.subtle) return Promise.resolve("");
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); }).then(function (d) {
      return Array.prototype.map.call(new Uint8Array(d), function (x) { return (x + 256).toString(16).slice(1); }).join("");
    });
  }
  function addPhotos(form, files) {
    var select = $("[data-part]", form), part = select.classList.contains("d-none") ? "overview" : select.value;
    Array.prototype.forEach.call(files, function (file) {
      compress(file).then(function (blob) {
        return sha256(blob).then(function (hash) {
          state.capture.photos.push({ blob: blob, sha256: hash, part: part, taken_at: new Date(file.lastModified || Date.now()).toISOString() });
          var img = document.createElement("img"); img.src = URL.createObjectURL(blob);
          img.title = (select.classList.contains("d-none") ? "" : select.selectedOptions[0].text + " · ") + Math.round(blob.size / 1024) + " KB";
          $("[data-thumbs]", form).appendChild(img);
        });
      }).catch(function (e) { toast(e.message, "danger"); });
    });
  }

  // --- the two forms ------------------------------------------------------------------------
  function houseOf(id) { return state.current.houses.find(function (x) { return x.id === id; }); }
  function openInspect(houseId) {
    var form = $("#inspect-form"), c = state.config;
    form.reset(); resetCapture(form); $("[data-errors]", form).textContent = "";
    form.dataset.house = houseId;
    form.inspected_on.value = today(); form.inspector_name.value = c.user.name;
    $("#inspect-title").textContent = "排查：" + state.current.head_name + "户";
    $("#risk-parts").innerHTML = Object.keys(c.risk_parts).map(function (k) {
      return "<label class='me-3'><input type='checkbox' name='risk_parts' value='" + k + "'> " + esc(c.risk_parts[k]) + "</label>";
    }).join("");
    $("#measures").innerHTML = "<option value=''>—</option>" + Object.keys(c.measures).map(function (k) {
      return "<option value='" + k + "'>" + esc(c.measures[k]) + "</option>";
    }).join("");
    $("#risk-box").classList.add("d-none");
    show("inspect");
  }
  function openAppraise(houseId) {
    var form = $("#appraise-form"), c = state.config, house = houseOf(houseId);
    form.reset(); resetCapture(form); $("[data-errors]", form).textContent = "";
    form.dataset.house = houseId;
    form.dataset.structure = house.structure_type || "";
    form.dataset.tried = "";
    form.appraised_on.value = today();
    $("#appraise-title").textContent = "鉴定：" + state.current.head_name + "户 · " + (c.structure_types[house.structure_type] || "结构未填");
    var byKey = {};
    c.rules.components.forEach(function (x) { byKey[x.key] = x; });
    $("#components").innerHTML = G.applicable(c.rules, house.structure_type).map(function (key) {
      var comp = byKey[key];
      return "<fieldset class='criteria card p-2 mb-2' data-key='" + key + "'><legend class='fs-6 fw-bold'>" + esc(comp.label) + "</legend>" +
        Object.keys(comp.criteria).map(function (g) {
          return "<label><input type='radio' name='c_" + key + "' value='" + g + "'> <span><b>" + g + "</b> · " + esc(comp.criteria[g]) + "</span></label>";
        }).join("") + "<label class='text-muted'><input type='radio' name='c_" + key + "' value='" + c.rules.absent + "'> <span>无此构件</span></label></fieldset>";
    }).join("");
    $("#prevention").innerHTML = Object.keys(c.prevention).map(function (k) {
      return "<label class='me-3'><input type='radio' name='prevention' value='" + k + "'> " + esc(c.prevention[k]) + "</label>";
    }).join("");
    $("#appraisers").innerHTML = c.appraisers.map(function (p) {
      return "<label class='d-block'><input type='checkbox' name='appraisers' value='" + p.id + "'" + (p.mine ? " checked" : "") + "> " +
        esc(p.name) + (p.organisation ? " <small>（" + esc(p.organisation) + "）</small>" : "") + "</label>";
    }).join("") || "<div class='small text-danger'>培训台账中没有可选的鉴定人员。</div>";
    var part = $("[data-part]", form);
    part.innerHTML = G.applicable(c.rules, house.structure_type).map(function (key) {
      return "<option value='" + key + "'>照片部位：" + esc(byKey[key].label) + "</option>";
    }).join("") + "<option value='site'>照片部位：场地</option><option value='overview'>照片部位：整体</option>";
    part.classList.remove("d-none");
    var mine = c.appraisers.find(function (p) { return p.mine; });
    form.organisation.value = mine ? mine.organisation : "";
    updateGrade();
    show("appraise");
  }
  function components(form) {
    var out = {};
    $$("fieldset[data-key]", form).forEach(function (fs) {
      var checked = $("input:checked", fs); out[fs.dataset.key] = checked && checked.value ? checked.value : null;
    });
    return out;
  }
  function updateGrade() {
    var form = $("#appraise-form"), box = $("#field-grade");
    var comps = components(form), result = G.compute(state.config.rules, form.dataset.structure, form.site_dangerous.checked, comps);
    var blank = G.blanks(state.config.rules, form.dataset.structure, comps);
    $$("fieldset[data-key]", form).forEach(function (fs) { fs.classList.toggle("border-danger", form.dataset.tried === "1" && blank.indexOf(fs.dataset.key) >= 0); });
    box.className = "grade-box";
    if (result.error) { $(".grade", box).textContent = "—"; $(".rule", box).textContent = result.error; box.dataset.grade = ""; box.dataset.error = result.error; return; }
    box.dataset.error = "";
    if (form.dataset.tried === "1") $("[data-errors]", form).textContent = "";  // told at the last save; it is checked again at the next
    var final = result.grade, raised = form.raised_to.value, note = "";
    if (raised && raised !== result.grade) {
      if (G.isRaise(result.grade, raised)) { final = raised; note = "（已调高，须写明理由）"; } else { note = "（不能低于 " + result.grade + " 级）"; }
    }
    box.classList.add("grade-" + final);
    $(".grade", box).textContent = final + " 级";
    $(".rule", box).textContent = G.explain(state.config.rules, result) + note;
    box.dataset.grade = final;
  }
  function checked(form, name) { return $$("input[name='" + name + "']:checked", form).map(function (i) { return i.value; }); }

  function saveInspection(ev) {
    ev.preventDefault();
    var form = ev.target, verdict = (checked(form, "verdict")[0] || ""), parts = checked(form, "risk_parts"), errors = [];
    if (!verdict) errors.push("请选择排查结论。");
    if (verdict === "suspect" && !parts.length) errors.push("疑似不安全的房屋须勾选存在隐患的部位。");
    if (verdict === "suspect" && !form.measure.value) errors.push("疑似不安全的房屋须选择建议措施。");
    if (!form.inspector_name.value.trim()) errors.push("请填写排查人。");
    if (form.household_confirmed.checked && !form.confirmed_by.value.trim()) errors.push("请填写确认的农户姓名。");
    if (errors.length) { $("[data-errors]", form).textContent = errors.join(" "); return; }
    keep("inspection", Number(form.dataset.house), {
      inspected_on: form.inspected_on.value, verdict: verdict, risk_parts: verdict === "suspect" ? parts : [],
      measure: verdict === "suspect" ? form.measure.value : "", inspector_name: form.inspector_name.value.trim(),
      household_confirmed: form.household_confirmed.checked, confirmed_by: form.confirmed_by.value.trim(),
      note: form.note.value.trim(), campaign: state.current.campaign || null,
    });
  }
  function saveAppraisal(ev) {
    ev.preventDefault();
    var form = ev.target, errors = [], grade = $("#field-grade").dataset.grade;
    var comps = components(form), prevention = checked(form, "prevention")[0], people = checked(form, "appraisers");
    form.dataset.tried = "1"; updateGrade();
    if (!grade) errors.push($("#field-grade").dataset.error + "。");
    if (!prevention) errors.push("请选择防灾措施情况。");
    if (!people.length) errors.push("请选择鉴定人员。");
    if (!form.organisation.value.trim()) errors.push("请填写鉴定单位。");
    if (form.site_dangerous.checked && !form.site_note.value.trim()) errors.push("场地危险时须写明场地情况。");
    if (form.raised_to.value && grade === form.raised_to.value && !form.raise_reason.value.trim()) errors.push("调高等级须写明理由。");
    if (errors.length) { $("[data-errors]", form).textContent = errors.join(" "); return; }
    keep("appraisal", Number(form.dataset.house), {
      appraised_on: form.appraised_on.value, components: comps, site_dangerous: form.site_dangerous.checked,
      site_note: form.site_note.value.trim(), prevention: prevention, appraisers: people.map(Number),
      organisation: form.organisation.value.trim(), raised_to: form.raised_to.value, raise_reason: form.raise_reason.value.trim(),
      conclusion: form.conclusion.value.trim(),
    });
  }
  /* Construction photos of a renovation case: they belong to the case on the server, so no record goes with them. */
  function openConstruction(caseUid) {
    var form = $("#construction-form"), c = (state.current.cases || []).find(function (x) { return x.uid === caseUid; });
    form.reset(); resetCapture(form); $("[data-errors]", form).textContent = "";
    form.dataset.case = caseUid;
    $("#construction-title").textContent = "施工照片：" + state.current.head_name + "户 · " + c.state_label;
    show("construction");
  }
  function saveConstruction(ev) {
    ev.preventDefault();
    var form = ev.target, capture = state.capture;
    if (!capture.photos.length) { $("[data-errors]", form).textContent = "请先拍摄照片。"; return; }
    var photos = capture.photos.map(function (p, i) {
      return { uid: uuid(), record_uid: form.dataset.case, record_kind: "case", blob: p.blob, size: p.blob.size, sha256: p.sha256,
        taken_at: p.taken_at, part: form.stage.value, gps: capture.gps || {}, status: "pending", n: i };
    });
    S.putMany("photos", photos).then(function () {
      toast("施工照片已保存到本机" + (navigator.onLine ? "，正在上传…" : "（离线），联网后自动上传。"));
      history = []; show("home", false); refreshHome(); syncNow();
    });
  }

  /* Put a record and its photos in the outbox; it leaves the phone only through sync. */
  function keep(kind, houseId, data) {
    var h = state.current, house = houseOf(houseId), capture = state.capture;
    return Promise.all([S.meta("device"), S.nextSeq()]).then(function (v) {
      var record = {
        uid: uuid(), kind: kind, household: h.id, house: houseId, device: v[0], seq: v[1],
        captured_at: new Date().toISOString(), downloaded_at: h.downloaded_at,
        base: { household_version: h.version, house_version: house.version }, gps: capture.gps || {}, data: data,
        status: "pending", label: h.head_name + "户 · " + (kind === "inspection" ? "排查" : "鉴定"),
      };
      var photos = capture.photos.map(function (p, i) {
        return { uid: uuid(), record_uid: record.uid, record_kind: kind, blob: p.blob, size: p.blob.size, sha256: p.sha256,
          taken_at: p.taken_at, part: p.part, gps: capture.gps || {}, status: "pending", n: i };
      });
      return S.put("outbox", record).then(function () { return S.putMany("photos", photos); });
    }).then(function () {
      toast("已保存到本机" + (navigator.onLine ? "，正在上传…" : "（离线），联网后自动上传。"));
      history = [];
      show("home", false); refreshHome(); syncNow();
    }).catch(function (e) { toast("保存失败：" + e.message, "danger"); });
  }

  // --- outbox and sync ----------------------------------------------------------------------
  var STATUS = { pending: "待上传", sent: "已上传", rejected: "被退回" };
  function recordLine(r) {
    var extra = r.status === "rejected" ? "：" + Object.keys(r.errors || {}).map(function (k) { return r.errors[k]; }).join("；") :
      (r.conflict ? "（冲突：" + r.conflict + "）" : "") + (r.flags && r.flags.length ? "（疑点：" + r.flags.join("；") + "）" : "");
    return "<li class='status-" + r.status + "' data-uid='" + r.uid + "'>" + esc(r.label) + " · " + STATUS[r.status] + esc(extra) + "</li>";
  }
  function refreshHome() {
    var count = Object.keys(state.villages).length;
    $("#local-summary").textContent = count ? "已下载 " + count + " 个村、" + state.households.length + " 户" : "尚未下载村庄数据。";
    Promise.all([S.all("outbox"), S.all("photos")]).then(function (v) {
      var box = v[0], photos = v[1];
      var pending = box.filter(function (r) { return r.status === "pending"; }).length;
      var left = photos.filter(function (p) { return p.status !== "done" && p.status !== "refused"; }).length;
      $("#outbox-count").textContent = pending;
      $("#outbox-count").className = "badge " + (pending ? "bg-warning text-dark" : "bg-secondary");
      $("#photo-count").textContent = left ? "照片待上传 " + left + " 张" : "";
      box.sort(function (a, b) { return b.seq - a.seq; });
      $("#outbox-list").innerHTML = box.slice(0, 20).map(recordLine).join("");
    });
    search();
  }
  function progress(done, total) {
    var bar = $("#sync-progress");
    bar.classList.toggle("d-none", !total || done >= total);
    $(".progress-bar", bar).style.width = (total ? Math.round(100 * done / total) : 0) + "%";
  }
  /* One sync at a time; a request made meanwhile runs once more right after (nothing is skipped). */
  function syncNow() {
    if (!state.token) return Promise.resolve();
    if (!navigator.onLine) { $("#sync-status").textContent = "离线：记录保存在本机，联网后自动上传。"; return Promise.resolve(); }
    if (state.syncing) { state.again = true; return state.syncing; }
    state.again = false;
    $("#sync-status").textContent = "正在同步…";
    state.syncing = sendRecords().then(sendPhotos).then(loadConflicts).then(function () {
      $("#sync-status").textContent = "同步完成 " + new Date().toLocaleTimeString();
    }).catch(function () {
      $("#sync-status").textContent = "网络中断，已保存的进度不会丢失，稍后自动重试。";
    }).then(function () {
      state.syncing = null; progress(0, 0); refreshHome();
      if (state.again) return syncNow();
    });
    return state.syncing;
  }
  function sendRecords() {
    return S.byIndex("outbox", "status", "pending").then(function (pending) {
      var batches = [];
      for (var i = 0; i < pending.length; i += BATCH) batches.push(pending.slice(i, i + BATCH));
      var done = 0;
      return batches.reduce(function (p, batch) {
        return p.then(function () {
          var wire = batch.map(function (r) {
            return { uid: r.uid, kind: r.kind, household: r.household, house: r.house, device: r.device, seq: r.seq,
              captured_at: r.captured_at, downloaded_at: r.downloaded_at, base: r.base, gps: r.gps, data: r.data };
          });
          return api("field/sync/", { method: "POST", json: { records: wire } }).then(function (res) {
            if (!res.ok) throw new Error("sync");
            var byUid = {};
            res.data.results.forEach(function (a) { byUid[a.uid] = a; });
            batch.forEach(function (r) {
              var a = byUid[r.uid];
              if (!a) return;
              r.status = a.status === "rejected" ? "rejected" : "sent";
              r.server_id = a.id; r.errors = a.errors; r.conflict = a.conflict || r.conflict || ""; r.flags = a.flags || r.flags || [];
            });
            done += batch.length; progress(done, pending.length);
            return S.putMany("outbox", batch);
          });
        });
      }, Promise.resolve());
    });
  }
  function sendPhotos() {
    return Promise.all([S.all("photos"), S.all("outbox")]).then(function (v) {
      var sent = {};
      v[1].forEach(function (r) { if (r.status === "sent") sent[r.uid] = true; });
      var todo = v[0].filter(function (p) { return p.status !== "done" && p.status !== "refused" && (sent[p.record_uid] || p.record_kind === "case"); });
      var done = 0;
      return todo.reduce(function (p, photo) {
        return p.then(function () { return uploadPhoto(photo); }).then(function () { progress(++done, todo.length); });
      }, Promise.resolve());
    });
  }
  function uploadPhoto(photo) {
    return api("field/photos/", { method: "POST", json: { uid: photo.uid, record_kind: photo.record_kind, record_uid: photo.record_uid,
      size: photo.size, sha256: photo.sha256, taken_at: photo.taken_at, part: photo.part, gps: photo.gps } })
      .then(function (res) {
        if (!res.ok) throw new Error("photo");
        if (res.data.refused) return refused(photo, res.data.refused);
        return pieces(photo, res.data.received);
      });
  }
  function refused(photo, reason) {  // the server could not decode it as a picture: it will never take it
    photo.status = "refused"; photo.blob = null; toast("照片未被接收：" + reason, "danger");
    return S.put("photos", photo);
  }
  function pieces(photo, received) {
    if (photo.refused) return refused(photo, photo.refused);
    if (received >= photo.size) {
      photo.status = "done"; photo.blob = null;  // keep the row (the record's history), drop the bytes
      return S.put("photos", photo);
    }
    var piece = photo.blob.slice(received, received + CHUNK);
    return api("field/photos/" + photo.uid + "/?offset=" + received, { method: "PUT", body: piece, type: "application/octet-stream" })
      .then(function (res) {
        if (res.data && res.data.file && !res.ok) return refused(photo, [].concat(res.data.file).join(""));
        if (res.status === 409 || res.ok) {
          photo.received = res.data.received;
          return S.put("photos", photo).then(function () { return pieces(photo, res.data.received); });
        }
        throw new Error("photo piece");
      });
  }
  function resendAll() {
    S.all("outbox").then(function (box) {
      box.forEach(function (r) { if (r.status === "sent") r.status = "pending"; });
      return S.putMany("outbox", box);
    }).then(function () { toast("已将全部记录重新放入待上传，服务器不会重复保存。", "info"); return syncNow(); });
  }
  function loadConflicts() {
    return api("field/conflicts/").then(function (res) {
      var open = (res.data.conflicts || []).filter(function (c) { return c.status === "open"; });
      $("#conflicts-card").classList.toggle("d-none", !open.length);
      $("#conflicts").innerHTML = open.map(function (c) { return "<li>" + esc(c.head_name) + "户：" + esc(c.reason) + "</li>"; }).join("");
    });
  }

  // --- wiring -------------------------------------------------------------------------------
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-id],[data-inspect],[data-appraise],[data-construction],[data-back],[data-gps]");
    if (!t) return;
    ev.preventDefault();
    if (t.dataset.id) openHousehold(Number(t.dataset.id));
    else if (t.dataset.inspect) openInspect(Number(t.dataset.inspect));
    else if (t.dataset.appraise) openAppraise(Number(t.dataset.appraise));
    else if (t.dataset.construction) openConstruction(t.dataset.construction);
    else if (t.hasAttribute("data-back")) back();
    else if (t.hasAttribute("data-gps")) locate(t.closest("form"));
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("[data-photos]")) addPhotos(ev.target.closest("form"), ev.target.files);
    if (ev.target.name === "verdict") $("#risk-box").classList.toggle("d-none", ev.target.value !== "suspect");
  });
  $("#appraise-form").addEventListener("change", updateGrade);
  $("#login-form").addEventListener("submit", login);
  $("#inspect-form").addEventListener("submit", saveInspection);
  $("#appraise-form").addEventListener("submit", saveAppraisal);
  $("#construction-form").addEventListener("submit", saveConstruction);
  $("#logout").addEventListener("click", function () { logout(); });
  $("#pick-villages").addEventListener("click", pickVillages);
  $("#sync-now").addEventListener("click", function () { syncNow(); });
  $("#resend").addEventListener("click", resendAll);
  $("#search").addEventListener("input", search);
  $("#village-filter").addEventListener("input", function (ev) {
    $$("#village-list label").forEach(function (l) { l.classList.toggle("d-none", l.dataset.name.indexOf(ev.target.value.trim()) < 0); });
  });
  window.addEventListener("online", function () { updateNet(); syncNow(); });
  window.addEventListener("offline", updateNet);
  setInterval(syncNow, 30000);
  updateNet();

  if ("serviceWorker" in navigator) navigator.serviceWorker.register(window.ANJU_FIELD.sw, { scope: window.ANJU_FIELD.scope });
  window.AnjuField = { syncNow: syncNow, resendAll: resendAll };

  Promise.all([S.meta("token"), S.meta("config"), S.meta("device")]).then(function (v) {
    var device = v[2] || uuid();
    return S.meta("device", device).then(function () {
      state.token = v[0]; state.config = v[1];
      if (!state.token || !state.config) { show("login", false); return; }
      return (navigator.onLine ? loadConfig().catch(function () {}) : Promise.resolve()).then(start);
    });
  });
})();

/* The phone's own storage (IndexedDB): downloaded households, the outbox of records, photos
   waiting to upload, and small settings (token, device id, record counter). Nothing here talks
   to the network. */
(function (root) {
  "use strict";
  var NAME = "anju-field", VERSION = 1, db = null;

  function open() {
    if (db) return Promise.resolve(db);
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = function () {
        var d = req.result;
        d.createObjectStore("meta");
        d.createObjectStore("households", { keyPath: "id" }).createIndex("village", "region_code");
        d.createObjectStore("outbox", { keyPath: "uid" }).createIndex("status", "status");
        d.createObjectStore("photos", { keyPath: "uid" }).createIndex("record", "record_uid");
      };
      req.onsuccess = function () { db = req.result; resolve(db); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(store, mode, work) {
    return open().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode), result;
        var os = tx.objectStore(store);
        var req = work(os);
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("存储失败：手机存储空间可能不足")); };
      });
    });
  }

  var Store = {
    get: function (store, key) { return run(store, "readonly", function (os) { return os.get(key); }); },
    all: function (store) { return run(store, "readonly", function (os) { return os.getAll(); }); },
    put: function (store, value, key) {
      return run(store, "readwrite", function (os) { return key === undefined ? os.put(value) : os.put(value, key); });
    },
    putMany: function (store, values) {
      return run(store, "readwrite", function (os) { values.forEach(function (v) { os.put(v); }); });
    },
    remove: function (store, key) { return run(store, "readwrite", function (os) { return os.delete(key); }); },
    byIndex: function (store, index, value) {
      return run(store, "readonly", function (os) { return os.index(index).getAll(value); });
    },
    clear: function (store) { return run(store, "readwrite", function (os) { return os.clear(); }); },
    meta: function (key, value) {
      return value === undefined ? Store.get("meta", key) : Store.put("meta", value, key);
    },
    /* The next number in this device's sequence of records (the server notices time running backwards). */
    nextSeq: function () {
      return Store.meta("seq").then(function (n) { var next = (n || 0) + 1; return Store.meta("seq", next).then(function () { return next; }); });
    },
  };
  root.AnjuStore = Store;
})(typeof self !== "undefined" ? self : this);

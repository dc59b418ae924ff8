/* readiness report: render each rule's findings from the embedded JSON, PAGE_SIZE rows at a
 * time, with search, severity/change filters, sortable columns and evidence on demand.
 * Vanilla JS, no network; every value is inserted as text (never as HTML). */
(function () {
  "use strict";

  var PAGE_SIZE = 50;
  var SEV_RANK = { error: 3, warning: 2, notice: 1 };
  var DATA = JSON.parse(document.getElementById("readiness-data").textContent);
  var tables = [];
  var tableOf = {};   // finding id -> FindingsTable
  var global = { query: "", severity: "" };

  // -- small DOM helpers ---------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else node.setAttribute(key, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function isUrl(value) { return typeof value === "string" && /^https?:\/\//i.test(value); }
  function shortUrl(url) {
    var origin = DATA.origin;
    return origin && url.indexOf(origin + "/") === 0 ? url.slice(origin.length) : url;
  }
  function link(url) {
    return isUrl(url)
      ? el("a", { className: "url", href: url, title: url, target: "_blank", rel: "noopener noreferrer", text: shortUrl(url) })
      : el("span", { className: "mono", text: String(url) });
  }
  function label(key) {
    var text = key.replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function statusText(status, error) {
    if (status !== null && status !== undefined) return String(status);
    return error ? "no response (" + error + ")" : "no response";
  }
  function moreNote(evidence, key, noun) {
    var more = evidence._more && evidence._more[key];
    // Point to findings.json only when it was written beside the page (--format).
    return more ? el("p", { className: "ev-more", text: "… and " + plural(more, noun || "more item") + (DATA.json ? " in findings.json" : "") }) : null;
  }

  // -- evidence ------------------------------------------------------------------------
  // Keys rendered by a dedicated block; everything else falls through to the generic list.
  var INBOUND_KEYS = ["inbound_links", "inbound_link_count", "linking_pages", "sitemaps",
    "redirected_from", "canonicalised_from"];
  var SPECIAL_KEYS = ["fix", "hops", "final_url", "final_status", "final_error", "members",
    "member_count", "chain", "reasons", "_more"].concat(INBOUND_KEYS);

  function valueNode(value) {
    if (value === null || value === undefined || value === "") return el("span", { className: "muted", text: "—" });
    if (isUrl(value)) return link(value);
    if (Array.isArray(value)) {
      if (!value.length) return el("span", { className: "muted", text: "none" });
      if (value.every(function (v) { return v !== null && typeof v === "object" && !Array.isArray(v); })) {
        return objectTable(value);
      }
      return el("ul", null, value.map(function (v) { return el("li", null, [valueNode(v)]); }));
    }
    if (typeof value === "object") {
      var dl = el("dl");
      Object.keys(value).forEach(function (k) {
        dl.appendChild(el("dt", { text: label(k) }));
        dl.appendChild(el("dd", null, [valueNode(value[k])]));
      });
      return dl;
    }
    if (typeof value === "boolean") return document.createTextNode(value ? "yes" : "no");
    return document.createTextNode(String(value));
  }

  function objectTable(rows) {
    var keys = [];
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    });
    return el("table", null, [
      el("thead", null, [el("tr", null, keys.map(function (k) { return el("th", { text: label(k) }); }))]),
      el("tbody", null, rows.map(function (row) {
        return el("tr", null, keys.map(function (k) { return el("td", null, [valueNode(row[k])]); }));
      }))
    ]);
  }

  function hopsBlock(evidence) {
    var hops = evidence.hops;
    if (!Array.isArray(hops) || !hops.length) return null;
    var list = el("ol", { className: "hops" });
    hops.forEach(function (hop, i) {
      list.appendChild(el("li", null, [
        el("span", { className: "muted", text: (i + 1) + ". " }), link(hop.url),
        el("span", { className: "arrow", text: "→" }),
        el("span", { className: "status st-3xx", text: String(hop.status) }),
        el("span", { className: "arrow", text: "→" }), link(hop.location)
      ]));
    });
    if ("final_url" in evidence) {
      var ok = evidence.final_status === 200;
      list.appendChild(el("li", { className: "final" }, [
        el("span", { className: "muted", text: "ends at " }), link(evidence.final_url),
        el("span", { className: "arrow", text: "" }),
        el("span", { className: "status " + (ok ? "st-2xx" : "st-4xx"),
          text: statusText(evidence.final_status, evidence.final_error) })
      ]));
    }
    return el("div", null, [el("h5", { text: "Redirect hops (" + hops.length + ")" }), list, moreNote(evidence, "hops", "hop")]);
  }

  function chainBlock(evidence) {
    if (!Array.isArray(evidence.chain) || !evidence.chain.length) return null;
    var list = el("ol", { className: "hops" });
    evidence.chain.forEach(function (url, i) {
      list.appendChild(el("li", null, [el("span", { className: "muted", text: i ? "→ " : "" }), link(url)]));
    });
    return el("div", null, [el("h5", { text: "Canonical chain" }), list]);
  }

  function membersBlock(evidence) {
    var members = evidence.members;
    if (!Array.isArray(members) || !members.length) return null;
    var head = "Cluster members (" + (evidence.member_count || members.length) + ")";
    if (typeof members[0] !== "object") {
      return el("div", null, [el("h5", { text: head }),
        el("ul", null, members.map(function (m) { return el("li", null, [link(m)]); })), moreNote(evidence, "members", "member")]);
    }
    var rows = members.map(function (m) {
      var sim = typeof m.similarity === "number" ? m.similarity : null;
      return el("tr", null, [
        el("td", null, [link(m.url)]),
        el("td", { className: "num" }, sim === null ? [] : [
          el("span", { className: "sim" }, [el("span", { style: "width:" + Math.round(sim * 100) + "%" })]),
          Math.round(sim * 100) + "%"]),
        el("td", { className: "num", text: m.inbound_link_count === undefined ? "" :
          String(m.inbound_link_count) + (m.linking_pages === undefined ? "" : " from " + plural(m.linking_pages, "page")) })
      ]);
    });
    return el("div", null, [el("h5", { text: head }), el("table", null, [
      el("thead", null, [el("tr", null, [el("th", { text: "URL" }), el("th", { text: "Similarity" }), el("th", { text: "Inbound links" })])]),
      el("tbody", null, rows)]), moreNote(evidence, "members", "member"),
      el("p", { className: "muted", "data-cluster-inbound": "",
        text: "Inbound links: each member's internal link edges and the distinct pages they come from. The finding's Inbound count is the sum over the members of their link edges and sitemap entries." })]);
  }

  function reasonsBlock(evidence) {
    if (!Array.isArray(evidence.reasons) || !evidence.reasons.length) return null;
    return el("div", null, [el("h5", { text: "Why it is not indexable" }),
      el("ul", null, evidence.reasons.map(function (r) { return el("li", { text: String(r) }); }))]);
  }

  function inboundBlock(evidence) {
    var parts = [];
    var links = evidence.inbound_links;
    if (evidence.inbound_link_count) {
      parts.push(el("h5", { text: "Linked from " + plural(evidence.linking_pages || 0, "page") +
        " (" + plural(evidence.inbound_link_count, "link") + ")" }));
      if (Array.isArray(links) && links.length) {
        parts.push(el("table", null, [
          el("thead", null, [el("tr", null, ["Source page", "Anchor text", "Element", "Region", "rel"].map(function (h) { return el("th", { text: h }); }))]),
          el("tbody", null, links.map(function (l) {
            return el("tr", null, [el("td", null, [link(l.source)]),
              el("td", { text: l.anchor ? "“" + l.anchor + "”" : "(no text)" }),
              el("td", { text: l.element || "" }), el("td", { text: l.region || "" }), el("td", { text: l.rel || "" })]);
          }))]));
        var shown = links.length;
        if (evidence.inbound_link_count > shown) {
          var where = [DATA.json ? "findings.json (up to 25 listed)" : null, DATA.csv ? "the CSV" : null].filter(Boolean);
          parts.push(el("p", { className: "ev-more", text: (evidence.inbound_link_count - shown) + " more links" + (where.length ? ": see " + where.join(" or ") : "") }));
        }
      }
    }
    [["sitemaps", "Listed in sitemaps"], ["redirected_from", "Redirected to from"],
     ["canonicalised_from", "Canonicalised to from"]].forEach(function (pair) {
      var list = evidence[pair[0]];
      if (Array.isArray(list) && list.length) {
        parts.push(el("h5", { text: pair[1] + " (" + list.length + (evidence._more && evidence._more[pair[0]] ? "+" : "") + ")" }));
        parts.push(el("ul", null, list.map(function (u) { return el("li", null, [link(u)]); })));
        parts.push(moreNote(evidence, pair[0]));
      }
    });
    return parts.length ? el("div", null, parts) : null;
  }

  function renderEvidence(finding) {
    var ev = finding.evidence || {};
    var box = el("div", { className: "ev" });
    if (ev.fix) box.appendChild(el("p", { className: "ev-fix" }, [el("b", { text: "Fix:" }), " " + String(ev.fix)]));
    if (finding.accepted) box.appendChild(el("p", { className: "ev-more", text: "Accepted: " + finding.accepted }));
    [hopsBlock(ev), chainBlock(ev), membersBlock(ev), reasonsBlock(ev)].forEach(function (b) { if (b) box.appendChild(b); });
    var rest = Object.keys(ev).filter(function (k) {
      return SPECIAL_KEYS.indexOf(k) < 0 || (k === "final_url" && !(Array.isArray(ev.hops) && ev.hops.length)) ||
        ((k === "final_status" || k === "final_error") && !(Array.isArray(ev.hops) && ev.hops.length));
    });
    if (rest.length) {
      var dl = el("dl");
      rest.forEach(function (k) {
        dl.appendChild(el("dt", { text: label(k) }));
        dl.appendChild(el("dd", null, [valueNode(ev[k]), moreNote(ev, k)]));
      });
      box.appendChild(el("h5", { text: "Details" }));
      box.appendChild(dl);
    }
    var inbound = inboundBlock(ev);
    if (inbound) box.appendChild(inbound);
    // Lists the page only counts (a big report keeps full lists for a table's first page).
    var counted = Object.keys(ev._more || {}).filter(function (k) { return !(k in ev); });
    if (counted.length) {
      var where = DATA.json ? " in findings.json" : DATA.csv ? " in the CSV" : "";
      box.appendChild(el("ul", { className: "ev-counted" }, counted.map(function (k) {
        return el("li", { text: label(k) + ": " + plural(ev._more[k], "item") + where });
      })));
    }
    if (!finding.evidence_full && !counted.length && (DATA.json || DATA.csv)) {
      box.appendChild(el("p", { className: "ev-more", text: "The full evidence of this finding is in " +
        [DATA.json ? "findings.json" : null, DATA.csv ? "the CSV" : null].filter(Boolean).join(" and ") + "." }));
    }
    box.appendChild(el("p", { className: "muted", text: "Finding id " + finding.id }));
    return box;
  }

  // -- one rule's table ----------------------------------------------------------------
  var COLUMNS = [
    { key: "severity", title: "Severity", value: function (f) { return SEV_RANK[f.severity] || 0; } },
    { key: "url", title: "URL", value: function (f) { return f.url; } },
    { key: "message", title: "Finding", value: function (f) { return f.message; } },
    { key: "weight", title: "Inbound", value: function (f) { return f.weight; }, num: true,
      help: "Internal link edges and sitemap entries pointing at the URL (what ranks it); for a duplicate cluster, summed over its members" }
  ];
  if (DATA.comparison) {
    COLUMNS.push({ key: "change", title: "Change", value: function (f) { return f.change === "new" ? 1 : 0; } });
  }

  function searchText(f) {
    var ev = f.evidence || {};
    var anchors = Array.isArray(ev.inbound_links) ? ev.inbound_links.map(function (l) { return (l.anchor || "") + " " + (l.source || ""); }).join(" ") : "";
    return (f.url + " " + f.message + " " + f.id + " " + anchors).toLowerCase();
  }

  function FindingsTable(root, findings) {
    var self = this;
    this.root = root;
    this.rule = root.getAttribute("data-rule");
    this.article = document.getElementById("rule-" + this.rule);
    this.findings = findings;
    findings.forEach(function (f) { f._text = searchText(f); tableOf[f.id] = self; });
    this.state = { query: "", severity: "", change: "", accepted: false, sort: "severity", dir: -1, page: 0 };
    this.expanded = {};
    this.hasAccepted = findings.some(function (f) { return f.accepted; });
    this.build();
    this.render();
  }

  FindingsTable.prototype.build = function () {
    var self = this, st = this.state;
    var search = el("input", { type: "search", placeholder: "Filter this rule's findings", "aria-label": "filter " + this.rule + " findings" });
    search.addEventListener("input", function () { st.query = search.value.trim().toLowerCase(); st.page = 0; self.render(); });
    var controls = el("div", { className: "ft-controls" }, [search]);
    var severities = {};
    this.findings.forEach(function (f) { severities[f.severity] = true; });
    if (Object.keys(severities).length > 1) {
      var sev = el("select", { "aria-label": "severity" }, [el("option", { value: "", text: "all severities" })].concat(
        ["error", "warning", "notice"].filter(function (s) { return severities[s]; }).map(function (s) { return el("option", { value: s, text: s + "s" }); })));
      sev.addEventListener("change", function () { st.severity = sev.value; st.page = 0; self.render(); });
      controls.appendChild(sev);
    }
    if (DATA.comparison) {
      var change = el("select", { "aria-label": "change", className: "ft-change" }, [
        el("option", { value: "", text: "new and unchanged" }), el("option", { value: "new", text: "new only" }),
        el("option", { value: "unchanged", text: "unchanged only" })]);
      change.addEventListener("change", function () { st.change = change.value; st.page = 0; self.render(); });
      controls.appendChild(change);
    }
    if (this.hasAccepted) {
      var box = el("input", { type: "checkbox" });
      box.addEventListener("change", function () { st.accepted = box.checked; st.page = 0; self.render(); });
      controls.appendChild(el("label", { className: "check" }, [box, "show accepted"]));
    }
    this.countNode = el("span", { className: "muted ft-count" });
    controls.appendChild(this.countNode);

    var headRow = el("tr", null, [el("th", { "aria-label": "evidence", className: "c-toggle" })]);
    this.headers = {};
    COLUMNS.forEach(function (col) {
      var button = el("button", { type: "button", text: col.title, title: col.help || null });
      button.addEventListener("click", function () {
        if (st.sort === col.key) st.dir = -st.dir;
        else { st.sort = col.key; st.dir = (col.key === "url" || col.key === "message") ? 1 : -1; }
        st.page = 0;
        self.render();
      });
      var th = el("th", { className: "c-" + col.key + (col.num ? " num" : ""), "data-sort": col.key }, [button]);
      self.headers[col.key] = th;
      headRow.appendChild(th);
    });
    this.tbody = el("tbody");
    this.table = el("table", { className: "ft-table" }, [el("thead", null, [headRow]), this.tbody]);
    this.prev = el("button", { type: "button", text: "← previous", className: "ft-prev" });
    this.next = el("button", { type: "button", text: "next →", className: "ft-next" });
    this.pageInfo = el("span", { className: "ft-page-info" });
    this.prev.addEventListener("click", function () { st.page -= 1; self.render(); });
    this.next.addEventListener("click", function () { st.page += 1; self.render(); });
    this.pager = el("div", { className: "ft-pager" }, [this.pageInfo, this.prev, this.next]);
    this.root.appendChild(controls);
    this.root.appendChild(this.table);
    this.root.appendChild(this.pager);
  };

  FindingsTable.prototype.matches = function (f) {
    var st = this.state;
    if (f.accepted && !st.accepted) return false;
    if (st.severity && f.severity !== st.severity) return false;
    if (global.severity && f.severity !== global.severity) return false;
    if (st.change && f.change !== st.change) return false;
    if (st.query && f._text.indexOf(st.query) < 0) return false;
    if (global.query && f._text.indexOf(global.query) < 0) return false;
    return true;
  };

  FindingsTable.prototype.visible = function () {
    var self = this, st = this.state;
    var col = COLUMNS.filter(function (c) { return c.key === st.sort; })[0] || COLUMNS[0];
    var rows = this.findings.filter(function (f) { return self.matches(f); });
    rows.sort(function (a, b) {
      var va = col.value(a), vb = col.value(b);
      if (va < vb) return -st.dir;
      if (va > vb) return st.dir;
      return (b.weight - a.weight) || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0);
    });
    return rows;
  };

  FindingsTable.prototype.render = function () {
    var self = this, st = this.state;
    var rows = this.visible();
    this.rows = rows;
    var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    st.page = Math.min(Math.max(st.page, 0), pages - 1);
    var start = st.page * PAGE_SIZE, slice = rows.slice(start, start + PAGE_SIZE);
    COLUMNS.forEach(function (col) {
      var th = self.headers[col.key];
      if (col.key === st.sort) th.setAttribute("aria-sort", st.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var body = el("tbody");
    if (!slice.length) {
      body.appendChild(el("tr", null, [el("td", { colspan: COLUMNS.length + 1, className: "ft-empty", text: "No finding matches the filter." })]));
    }
    slice.forEach(function (f) {
      var open = !!self.expanded[f.id];
      var toggle = el("button", { type: "button", className: "toggle", "aria-expanded": open ? "true" : "false", "aria-label": "show evidence" });
      toggle.addEventListener("click", function () {
        if (self.expanded[f.id]) delete self.expanded[f.id]; else self.expanded[f.id] = true;
        self.render();
      });
      var cells = [el("td", null, [toggle]),
        el("td", null, [el("span", { className: "sev sev-" + f.severity, text: f.severity })]),
        el("td", { className: "url-cell" }, [link(f.url)]),
        el("td", { className: "msg", text: f.message }),
        el("td", { className: "num", text: String(f.weight),
                   title: Array.isArray((f.evidence || {}).members) ? "sum over the cluster's members: their inbound link edges and sitemap entries" : null })];
      if (DATA.comparison) {
        cells.push(el("td", null, [f.change === "new" ? el("span", { className: "badge-new", text: "new" })
          : el("span", { className: "badge-unchanged", text: f.change || "" })]));
      }
      body.appendChild(el("tr", { id: "f-" + f.id, "data-id": f.id, className: f.accepted ? "accepted" : null }, cells));
      if (open) {
        body.appendChild(el("tr", { className: "detail", "data-detail": f.id }, [el("td", { colspan: COLUMNS.length + 1 }, [renderEvidence(f)])]));
      }
    });
    this.table.replaceChild(body, this.tbody);
    this.tbody = body;
    this.root.setAttribute("data-visible", String(rows.length));
    this.countNode.textContent = rows.length === this.findings.length ? plural(rows.length, "finding")
      : rows.length + " of " + plural(this.findings.length, "finding");
    this.pageInfo.textContent = rows.length ? (start + 1) + "–" + (start + slice.length) + " of " + rows.length : "";
    this.prev.disabled = st.page === 0;
    this.next.disabled = st.page >= pages - 1;
    this.pager.style.display = rows.length > PAGE_SIZE ? "" : "none";
  };

  /* Show one finding: clear what hides it, go to its page, open its evidence, scroll to it. */
  FindingsTable.prototype.reveal = function (id) {
    var st = this.state;
    var finding = this.findings.filter(function (f) { return f.id === id; })[0];
    if (!finding) return;
    if (!this.matches(finding)) {
      st.query = ""; st.severity = ""; st.change = ""; st.accepted = st.accepted || !!finding.accepted;
      this.root.querySelectorAll(".ft-controls input[type=search]").forEach(function (i) { i.value = ""; });
      this.root.querySelectorAll(".ft-controls select").forEach(function (s) { s.value = ""; });
      if (!this.matches(finding)) clearGlobal();
    }
    this.expanded[id] = true;
    var rows = this.visible();
    st.page = Math.floor(rows.indexOf(finding) / PAGE_SIZE);
    this.render();
    var row = document.getElementById("f-" + id);
    if (row) {
      row.classList.add("flash");
      row.scrollIntoView({ block: "center" });
    }
  };

  // -- global filter ---------------------------------------------------------------------
  var globalSearch = document.getElementById("global-search");
  var globalSeverity = document.getElementById("global-severity");
  var globalStatus = document.getElementById("global-status");

  function applyGlobal() {
    var active = !!(global.query || global.severity), total = 0;
    tables.forEach(function (t) {
      t.state.page = 0;
      t.render();
      total += t.rows.length;
      if (t.article) t.article.classList.toggle("no-match", active && !t.rows.length);
    });
    // A family whose every rule the filter hides goes too, heading and menu entry with it.
    document.querySelectorAll(".family[id^='family-']").forEach(function (family) {
      var empty = !family.querySelector(".rule:not(.no-match)");
      family.classList.toggle("no-match", empty);
      var link = document.querySelector('.family-nav a[href="#' + family.id + '"]');
      if (link) link.classList.toggle("no-match", empty);
    });
    globalStatus.textContent = active ? plural(total, "finding") + " match" + (total === 1 ? "es" : "") : "";
  }
  function clearGlobal() {
    global.query = ""; global.severity = "";
    globalSearch.value = ""; globalSeverity.value = "";
    applyGlobal();
  }
  var timer = null;
  globalSearch.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { global.query = globalSearch.value.trim().toLowerCase(); applyGlobal(); }, 120);
  });
  globalSeverity.addEventListener("change", function () { global.severity = globalSeverity.value; applyGlobal(); });

  // -- start -----------------------------------------------------------------------------
  var byRule = {};
  DATA.findings.forEach(function (f) {
    // The site's own URLs travel as paths (html.py short_url).
    if (DATA.origin && typeof f.url === "string" && f.url.charAt(0) === "/") f.url = DATA.origin + f.url;
    if (!f.severity) f.severity = DATA.severities[f.rule];
    (byRule[f.rule] = byRule[f.rule] || []).push(f);
  });
  document.querySelectorAll("[data-findings-table]").forEach(function (root) {
    tables.push(new FindingsTable(root, byRule[root.getAttribute("data-rule")] || []));
  });

  function revealHash() {
    var match = /^#f-(.+)$/.exec(window.location.hash);
    if (match && tableOf[match[1]]) tableOf[match[1]].reveal(match[1]);
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-reveal]") : null;
    if (!target) return;
    var id = target.getAttribute("data-reveal");
    if (tableOf[id]) {
      event.preventDefault();
      if (history.replaceState) history.replaceState(null, "", "#f-" + id);
      tableOf[id].reveal(id);
    }
  });
  window.addEventListener("hashchange", revealHash);
  revealHash();
  document.documentElement.setAttribute("data-report-ready", "true");
})();

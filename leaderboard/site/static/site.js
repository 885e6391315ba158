/* polyeval leaderboard: sorting, the overview (families that fold, filters, the chart) and
 * the drill-down panel.
 *
 * Plain JavaScript, no build step, no network: works from file:// and any static host.
 * Text that came from a model or a dataset is only ever inserted with textContent.
 *
 * Hooks (stable; browser tests rely on them):
 *
 *   body[data-root]            path from the page to the site's root ("" or "../")
 *   table.sortable             a sortable table; its header cells th[data-sort] ("num" or
 *                              "text") sort the body rows by cell number th[data-col], using
 *                              each cell's td[data-value] (empty values always last); the
 *                              first click sorts in th[data-order] ("asc"/"desc"), the next
 *                              reverses; the sorted header gets aria-sort="ascending" or
 *                              "descending"
 *   table#overview             the overview (index.html): rows tr[data-m]; column 0 rank
 *                              (td.rank), 1 model (td.model), 2 mean over tasks (td.mean:
 *                              .v its value, .ci its interval); then per family (header
 *                              th.family[data-family][data-cs]: the indices c of its columns,
 *                              with button.fold[aria-expanded]) the family's mean
 *                              (td.fmean[data-family]: .v, .ci, .rk) and its task columns,
 *                              shown while the family is open (their cells carry class t):
 *                              per column three cells: td.score[data-c] (primary metric; its
 *                              number is a.drill, .ci its interval, .rk its rank;
 *                              td.score[data-digits] and [data-ci-digits] where it is not in
 *                              points but as is, with that many decimals: bits per byte),
 *                              td.ln, td.cons (.v, .ci; td.na where they do not apply:
 *                              log-likelihood variants; left as they are); or, for a column
 *                              with Language Confusion Benchmark rates, td.lpr[data-c] (its
 *                              number is a.drill), td.wpr, td.lcpr
 *   select#filter-family       task family ("all", "translated QA", "reasoning", "temporal",
 *                              "translation", "log-likelihood", "bits per byte"): hides the
 *                              other families (their cells carry class fam-<family>), opens
 *                              the family chosen, and switches the mean column and its ranks
 *                              to the family's mean (an option's data-digits: its mean is
 *                              shown as is, with that many decimals)
 *   select#filter-script       script ("all", "Latn", "Deva", ...) and
 *   select#filter-tier         resource tier ("all", "high", "mid", "low"): the scores become
 *                              the macro averages over that script's or tier's languages,
 *                              columns without such languages are hidden (all cells of
 *                              column i carry class c<i>), and families with none of their
 *                              columns left; choosing one resets the other to "all";
 *                              table#overview[data-view] is "all", "script:Deva", "tier:low",
 *                              table#overview[data-family] the family
 *   #overview-chart svg.chart  the chart of the mean column's numbers: rows g.row[data-i]
 *                              (i: the model's data-m) ordered best first, each with
 *                              rect.bar, path.whisker (its interval) and text.value; the axis
 *                              line.axis with its text.tick; text.title says the family and view
 *   a.drill                    a number's samples: href "samples.html#d=RUN/TASK/VARIANT[&l=LANG]"
 *                              (LANG URL-encoded);
 *                              a click opens the panel in place (on samples.html: the hash);
 *                              a key not of the site's own naming loads nothing (state "error")
 *   section#samples            the drill-down panel; [hidden] when closed; data-state
 *                              "loading" | "ready" | "error"
 *   #samples-title, select#samples-language, button#samples-prev, button#samples-next,
 *   #samples-status, button#samples-close
 *   #samples tbody tr.sample   one sample: td.id, td.prompt, td.output, td.parsed, td.gold,
 *                              td.scores, td.langid (tr.sample[data-id] is the sample id)
 *
 * Data files: data/samples/RUN/TASK/VARIANT/index.js (languages: [language, first, count])
 * and .../page-NNNN.js (samples first .. first + page_size - 1, in language order) call
 * window.polyevalData(payload); payload.key is the file's path under data/samples/ without .js.
 * A language's samples are shown page_size at a time, from the data pages that hold them.
 */
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "";

  /* ---- sorting ---- */

  function cellValue(row, col) {
    var cell = row.cells[col];
    return cell ? cell.getAttribute("data-value") || "" : "";
  }

  function sortTable(table, th, direction) {
    var col = parseInt(th.getAttribute("data-col"), 10);
    var numeric = th.getAttribute("data-sort") === "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = direction === "asc" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellValue(a, col), y = cellValue(b, col);
      if (x === "" || y === "") { return x === y ? 0 : x === "" ? 1 : -1; }
      if (numeric) { return sign * (parseFloat(x) - parseFloat(y)); }
      return sign * (x < y ? -1 : x > y ? 1 : 0);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", direction === "asc" ? "ascending" : "descending");
    table._sorted = { th: th, direction: direction };
  }

  document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function (event) {
      if (event.target.closest("a")) { return; }  // a header's link still navigates
      var table = th.closest("table");
      var current = th.getAttribute("aria-sort");
      var direction = current === "ascending" ? "desc" : current === "descending" ? "asc"
        : th.getAttribute("data-order") || (th.getAttribute("data-sort") === "num" ? "desc" : "asc");
      sortTable(table, th, direction);
    });
  });

  /* ---- the overview: families that fold, filters, the chart ---- */

  var overview = document.getElementById("overview");
  var dataNode = document.getElementById("overview-data");
  if (overview && dataNode) {
    var data = JSON.parse(dataNode.textContent);
    var family = document.getElementById("filter-family");
    var script = document.getElementById("filter-script");
    var tier = document.getElementById("filter-tier");
    var chart = document.querySelector("#overview-chart svg.chart");
    var heads = Array.prototype.slice.call(overview.querySelectorAll("thead th.family[data-family]"));
    var open = {};  // family -> whether its task columns are shown
    var style = document.createElement("style");
    style.id = "filter-style";
    document.head.appendChild(style);

    // values come in points with one decimal, or as is (td[data-digits]: that many decimals)
    var points = function (v, digits) {
      return v === null || v === undefined ? "–" : v.toFixed(digits === undefined ? 1 : digits);
    };
    var digitsOf = function (node, name) {
      var found = node ? node.getAttribute(name || "data-digits") : null;
      return found ? parseInt(found, 10) : 1;
    };
    var bounds = function (low, high, digits) {
      return low === null || low === undefined || high === null || high === undefined ? ""
        : points(low, digits) + "–" + points(high, digits);
    };
    var setValue = function (td, v, digits) {
      if (td.classList.contains("na")) { return; }  // does not apply: stays "n/a"
      var d = digits === undefined ? digitsOf(td) : digits;
      var target = td.querySelector("a.drill") || td.querySelector(".v") || td;
      if (target === td) { td.textContent = points(v, d); } else { target.textContent = points(v, d); }
      td.setAttribute("data-value", v === null || v === undefined ? "" : String(v));
    };
    var setCi = function (td, low, high, digits) {
      var ci = td.querySelector(".ci");
      if (ci && !td.classList.contains("na")) { ci.textContent = bounds(low, high, digits); }
    };
    var setRank = function (td, rank) {
      var rk = td.querySelector(".rk");
      if (rk) { rk.textContent = rank !== null && rank !== undefined ? "#" + rank : ""; }
    };
    var familyClass = function (f) { return "fam-" + f.toLowerCase().replace(/ /g, "-"); };
    // a family's name stays in sight while its columns scroll under the frozen ones
    var freeze = function () {
      var rank = overview.querySelector("thead th.rank"), model = overview.querySelector("thead th.model");
      var width = (rank ? rank.offsetWidth : 0) + (model ? model.offsetWidth : 0);
      overview.style.setProperty("--frozen", width + "px");
    };
    freeze();
    window.addEventListener("resize", freeze);
    // what a view's numbers average: "languages in script Deva", "low-resource languages"
    var viewLabel = function (view) {
      if (view === "all") { return ""; }
      var parts = view.split(":");
      return parts[0] === "script" ? "languages in script " + parts[1] : parts[1] + "-resource languages";
    };
    // a cell's hover text as built, and what it says under a filter
    var titled = function (td, view, extra) {
      if (td._title === undefined) { td._title = td.getAttribute("title") || ""; }
      var lines = [td._title];
      if (view !== "all") { lines.push("shown: the macro average over the " + viewLabel(view)); }
      if (extra) { lines.push(extra); }
      td.title = lines.filter(function (line) { return line; }).join("\n");
    };
    var meanTitle = function (mean, digits) {
      if (!mean) { return "no complete run of a column of this family's metric in this view"; }
      var ci = bounds(mean[1], mean[2], digits);
      return mean[4] + " task column(s), n=" + mean[5] + " samples" +
        (ci ? "\n95% interval: " + ci : "\nno interval") +
        (mean[3] !== null ? "\nrank " + mean[3] + ", tied where intervals overlap" : "");
    };

    // the columns with no language of the view's script or tier
    var emptyColumns = function (view) {
      var empty = {};
      if (view === "all") { return empty; }
      var cells = data.cells[view] || [], lcb = (data.lcb || {})[view] || {};
      cells.forEach(function (entries, c) {
        var mine = lcb[c] || entries;  // null: no language of the view
        if (!mine || mine.every(function (e) { return e === null; })) { empty[c] = true; }
      });
      return empty;
    };

    // which families and columns show: a family filter hides the others, a closed family
    // shows its mean alone, a view hides the columns (and families) it has no language of;
    // a family's header spans what shows of it
    var layout = function (view, fam) {
      var empty = emptyColumns(view);
      var rules = [];
      heads.forEach(function (th) {
        var f = th.getAttribute("data-family"), cls = familyClass(f);
        var cs = (th.getAttribute("data-cs") || "").split(" ").filter(Boolean);
        var shown = cs.filter(function (c) { return !empty[c]; });
        var gone = (fam !== "all" && fam !== f) || (cs.length > 0 && shown.length === 0);
        if (gone) { rules.push("#overview ." + cls + "{display:none !important}"); }
        if (open[f]) { rules.push("#overview .t." + cls + "{display:table-cell}"); }
        th.colSpan = 1 + (open[f] ? 3 * shown.length : 0);
        var count = th.querySelector(".count"), all = cs.length === 1 ? "1 task" : cs.length + " tasks";
        if (count) { count.textContent = shown.length < cs.length ? shown.length + " of " + all : all; }
        th.querySelector("button.fold").setAttribute("aria-expanded", open[f] ? "true" : "false");
      });
      Object.keys(empty).forEach(function (c) { rules.push("#overview .c" + c + "{display:none !important}"); });
      style.textContent = rules.join("\n");
    };

    var fillRows = function (view, fam) {
      var cells = data.cells[view] || [];
      var lcb = (data.lcb || {})[view] || {};
      var means = data.means[view] || {};
      var option = family.options[family.selectedIndex] || null;
      var meanDigits = digitsOf(option), meanCiDigits = digitsOf(option, "data-ci-digits");
      overview.querySelectorAll("tbody tr[data-m]").forEach(function (row) {
        var m = parseInt(row.getAttribute("data-m"), 10);
        var mean = (means[fam] || [])[m] || null;
        var rank = row.querySelector("td.rank");
        rank.textContent = mean && mean[3] !== null ? String(mean[3]) : "–";
        rank.setAttribute("data-value", mean && mean[3] !== null ? String(mean[3]) : "");
        var meanCell = row.querySelector("td.mean");
        setValue(meanCell, mean ? mean[0] : null, meanDigits);
        setCi(meanCell, mean && mean[1], mean && mean[2], meanCiDigits);
        meanCell.title = (fam === "all" ? "mean over tasks" : fam + ": its mean") +
          (view !== "all" ? " over the " + viewLabel(view) : "") + "; " + meanTitle(mean, meanCiDigits);
        row.querySelectorAll("td.fmean[data-family]").forEach(function (td) {
          var entry = (means[td.getAttribute("data-family")] || [])[m] || null;
          var d = digitsOf(td);
          setValue(td, entry ? entry[0] : null, d);
          setCi(td, entry && entry[1], entry && entry[2], digitsOf(td, "data-ci-digits"));
          setRank(td, entry && entry[3]);
          td.title = td.getAttribute("data-family") + (view !== "all" ? " over the " + viewLabel(view) : "") +
            ": " + meanTitle(entry, digitsOf(td, "data-ci-digits"));
        });
        row.querySelectorAll("td.score[data-c]").forEach(function (td) {
          var c = parseInt(td.getAttribute("data-c"), 10);
          var entry = (cells[c] || [])[m] || null;
          var d = digitsOf(td, "data-ci-digits");
          setValue(td, entry ? entry[0] : null);
          setCi(td, entry && entry[1], entry && entry[2], d);
          setRank(td, entry && entry[3]);
          titled(td, view);
          var ln = td.nextElementSibling, cons = ln && ln.nextElementSibling;
          [[ln, 4], [cons, 7]].forEach(function (pair) {
            var cell = pair[0], at = pair[1];
            if (!cell || cell.classList.contains("na")) { return; }
            setValue(cell, entry ? entry[at] : null);
            setCi(cell, entry && entry[at + 1], entry && entry[at + 2], 1);
            var ci = entry ? bounds(entry[at + 1], entry[at + 2], 1) : "";
            cell.title = entry && entry[at] !== null ? (ci ? "95%: " + ci : "no interval") : "";
          });
        });
        row.querySelectorAll("td.lpr[data-c]").forEach(function (td) {
          var entry = (lcb[td.getAttribute("data-c")] || [])[m] || null;
          var wpr = td.nextElementSibling, lcpr = wpr && wpr.nextElementSibling;
          setValue(td, entry ? entry[0] : null);
          if (wpr) { setValue(wpr, entry ? entry[1] : null); }
          if (lcpr) { setValue(lcpr, entry ? entry[2] : null); }
          titled(td, view);
        });
      });
    };

    // the chart: the bars of the family's mean (the mean over tasks for "all") in the view,
    // best first, with their whiskers; the axis of the family
    var drawChart = function (view, fam) {
      if (!chart) { return; }
      var spec = data.chart.families[fam], fills = data.chart.fills;
      var means = (data.means[view] || {})[fam] || [];
      var x0 = parseFloat(chart.getAttribute("data-x0")), plot = parseFloat(chart.getAttribute("data-plot"));
      var rowH = parseFloat(chart.getAttribute("data-row")), top = parseFloat(chart.getAttribute("data-top"));
      var label = viewLabel(view);
      chart.querySelector("text.title").textContent = spec.title;
      var caption = document.getElementById("chart-view");
      if (caption) { caption.textContent = label ? "Over the " + label + "." : "Over every language."; }
      chart.querySelectorAll("text.tick").forEach(function (tick, q) {
        tick.textContent = String(parseFloat((spec.top * q / 4).toPrecision(6)));
      });
      var rows = Array.prototype.slice.call(chart.querySelectorAll("g.row[data-i]"));
      var at = function (g) { var e = means[parseInt(g.getAttribute("data-i"), 10)]; return e ? e[0] : null; };
      rows.sort(function (a, b) {
        var x = at(a), y = at(b);
        if (x === null || y === null) { return x === y ? 0 : x === null ? 1 : -1; }
        return spec.lower ? x - y : y - x;
      });
      var clamp = function (v) { return Math.min(Math.max(v / spec.top, 0), 1); };
      rows.forEach(function (g, k) {
        var e = means[parseInt(g.getAttribute("data-i"), 10)] || null;
        g.setAttribute("transform", "translate(0," + (top + k * rowH) + ")");
        var p = e ? clamp(e[0]) : 0;
        var bar = g.querySelector("rect.bar");
        bar.setAttribute("width", (plot * p).toFixed(1));
        bar.setAttribute("fill", fills[Math.round((spec.lower ? 1 - p : p) * (fills.length - 1))]);
        var d = "";
        if (e && e[1] !== null && e[2] !== null) {
          var lo = (x0 + plot * clamp(e[1])).toFixed(1), hi = (x0 + plot * clamp(e[2])).toFixed(1);
          var mid = rowH / 2;
          d = "M" + lo + " " + mid.toFixed(1) + "H" + hi + "M" + lo + " " + (mid - 4).toFixed(1) + "V" +
            (mid + 4).toFixed(1) + "M" + hi + " " + (mid - 4).toFixed(1) + "V" + (mid + 4).toFixed(1);
        }
        g.querySelector("path.whisker").setAttribute("d", d);
        g.querySelector("text.value").textContent = e ? points(e[0], spec.digits) +
          (e[3] !== null ? " #" + e[3] : "") : "–";
      });
    };

    var currentView = function () {
      return script.value !== "all" ? "script:" + script.value
        : tier.value !== "all" ? "tier:" + tier.value : "all";
    };
    var applyFilters = function () {
      var view = currentView(), fam = family.value;
      layout(view, fam);
      fillRows(view, fam);
      drawChart(view, fam);
      var label = overview.querySelector("thead th.mean .label");
      if (label) { label.textContent = fam === "all" ? "Mean over tasks" : fam + " mean"; }
      if (overview._sorted) { sortTable(overview, overview._sorted.th, overview._sorted.direction); }
      overview.setAttribute("data-view", view);
      overview.setAttribute("data-family", fam);
    };
    heads.forEach(function (th) {
      th.querySelector("button.fold").addEventListener("click", function () {
        var f = th.getAttribute("data-family");
        open[f] = !open[f];
        layout(currentView(), family.value);
      });
    });
    family.addEventListener("change", function () {
      if (family.value !== "all") { open[family.value] = true; }  // a family alone: its tasks
      applyFilters();
    });
    script.addEventListener("change", function () {
      if (script.value !== "all") { tier.value = "all"; }
      applyFilters();
    });
    tier.addEventListener("change", function () {
      if (tier.value !== "all") { script.value = "all"; }
      applyFilters();
    });
    if (family.value !== "all" || script.value !== "all" || tier.value !== "all") { applyFilters(); }
    window.polyevalOverview = { applyFilters: applyFilters };
  }

  /* ---- drill-down ---- */

  var panel = document.getElementById("samples");
  if (!panel) { return; }
  var pending = {};
  // what a drill-down key may be: RUN/TASK/VARIANT as the site names its folders
  // (harness.leaderboard.names.DRILL_KEY), never "..", nor a path from the root
  var DRILL_KEY = /^[A-Za-z0-9_][A-Za-z0-9._-]*\/[A-Za-z0-9_][A-Za-z0-9._-]*\/[A-Za-z0-9_][A-Za-z0-9._-]*$/;
  window.polyevalData = function (payload) {
    var done = pending[payload.key];
    if (done) { delete pending[payload.key]; done.resolve(payload); }
  };

  function load(key) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement("script");
      pending[key] = { resolve: resolve };
      node.src = root + "data/samples/" + key + ".js";
      node.onload = function () {
        node.remove();
        if (pending[key]) { delete pending[key]; reject(new Error("no data in " + node.src)); }
      };
      node.onerror = function () { node.remove(); delete pending[key]; reject(new Error("cannot load " + node.src)); };
      document.head.appendChild(node);
    });
  }

  var title = document.getElementById("samples-title");
  var select = document.getElementById("samples-language");
  var prev = document.getElementById("samples-prev");
  var next = document.getElementById("samples-next");
  var status = document.getElementById("samples-status");
  var close = document.getElementById("samples-close");
  var tbody = panel.querySelector("tbody");
  var state = { d: null, index: null, part: null, page: 1 };
  var onSamplesPage = document.body.getAttribute("data-page") === "samples.html";
  if (onSamplesPage) { close.hidden = true; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function asText(value) {
    if (value === undefined || value === null) { return ""; }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function textBlock(value) {
    var node = el("div", "text", asText(value));
    node.setAttribute("dir", "auto");
    return node;
  }

  function promptCell(prompt) {
    var td = el("td", "prompt");
    var details = el("details");
    var turns = Array.isArray(prompt) ? prompt : [["prompt", asText(prompt)]];
    details.appendChild(el("summary", null, turns.length + (turns.length === 1 ? " turn" : " turns")));
    turns.forEach(function (turn) {
      details.appendChild(el("span", "turn-role", turn[0]));
      details.appendChild(textBlock(turn[1]));
    });
    td.appendChild(details);
    return td;
  }

  function sampleRow(sample) {
    var tr = el("tr", "sample");
    tr.setAttribute("data-id", asText(sample.id));
    var id = el("td", "id", asText(sample.id));
    if (sample.parallel_id) { id.appendChild(el("div", "muted", asText(sample.parallel_id))); }
    tr.appendChild(id);
    tr.appendChild(promptCell(sample.prompt));
    var output = el("td", "output");
    output.appendChild(textBlock(sample.output));
    if (sample.reasoning) {
      var thought = el("details");
      thought.appendChild(el("summary", null, "reasoning"));
      thought.appendChild(textBlock(sample.reasoning));
      output.appendChild(thought);
    }
    if (sample.error) { output.appendChild(el("div", "verdict-no", "error: " + asText(sample.error))); }
    if (sample.finish_reason && sample.finish_reason !== "stop") {
      output.appendChild(el("div", "muted", "finish: " + asText(sample.finish_reason)));
    }
    tr.appendChild(output);
    var parsed = el("td", "parsed"); parsed.appendChild(textBlock(sample.parsed)); tr.appendChild(parsed);
    var gold = el("td", "gold"); gold.appendChild(textBlock(sample.gold)); tr.appendChild(gold);
    var scores = sample.scores || {};
    tr.appendChild(el("td", "scores", Object.keys(scores).sort().map(function (k) {
      return k + " " + (Math.round(scores[k] * 1000) / 1000);
    }).join("\n")));
    var verdict = sample.langid || null;
    var lang = el("td", "langid");
    if (verdict) {
      lang.appendChild(el("div", verdict.consistent === "no" ? "verdict-no" : null,
        asText(verdict.consistent) + ": " + asText(verdict.detected || "?") + " (expected " + asText(verdict.expected) + ")"));
      lang.appendChild(el("div", "muted", asText(verdict.method) + (verdict.confidence !== undefined ? " " + verdict.confidence : "")));
      if (verdict.note) { lang.appendChild(el("div", "muted", asText(verdict.note))); }
    }
    var lcb = sample.lcb || null;  // what failed the LCB line or word level
    if (lcb && lcb.failed_line) {
      lang.appendChild(el("div", "verdict-no", "LCB line failed: " + asText(lcb.failed_line)));
    }
    if (lcb && lcb.english_words && lcb.english_words.length) {
      lang.appendChild(el("div", "verdict-no", "LCB English words: " + lcb.english_words.map(asText).join(", ")));
    }
    tr.appendChild(lang);
    return tr;
  }

  function setState(value, message) {
    panel.setAttribute("data-state", value);
    if (message !== undefined) { status.textContent = message; }
  }

  function pageKey(n) { return state.d + "/page-" + String(n).padStart(4, "0"); }

  function showPage(page) {
    // the language's samples first + (page - 1) * size ... are read from the data pages
    // that hold them (one, or two where they straddle a page boundary)
    var part = state.part, size = state.index.page_size;
    var count = part[2], pages = Math.max(1, Math.ceil(count / size));
    var from = part[1] + (page - 1) * size, to = Math.min(part[1] + count, from + size);
    var wanted = [];
    for (var n = Math.floor(from / size); n <= Math.floor((to - 1) / size); n += 1) { wanted.push(n + 1); }
    state.page = page;
    setState("loading", "Loading…");
    return Promise.all(wanted.map(function (n) { return load(pageKey(n)); })).then(function (loaded) {
      if (state.part !== part || state.page !== page) { return; }
      var samples = [];
      loaded.forEach(function (payload) {
        payload.samples.forEach(function (sample, i) {
          var at = payload.first + i;
          if (at >= from && at < to) { samples.push(sample); }
        });
      });
      tbody.replaceChildren.apply(tbody, samples.map(sampleRow));
      prev.disabled = page <= 1;
      next.disabled = page >= pages;
      setState("ready", "Page " + page + " of " + pages + " · " + count + " samples");
    }, function (error) { setState("error", error.message); });
  }

  function choosePart(language) {
    var parts = state.index.parts;
    state.part = parts.filter(function (p) { return p[0] === language; })[0] || parts[0];
    select.value = state.part[0];
    return showPage(1);
  }

  function openSamples(d, l) {
    panel.hidden = false;
    state.d = d; state.index = null; state.part = null;
    tbody.replaceChildren();
    title.textContent = "Samples";
    select.replaceChildren();
    if (!DRILL_KEY.test(d)) {  // a hash may name any path: only the site's own data is loaded
      setState("error", "No samples named " + d);
      return Promise.resolve();
    }
    setState("loading", "Loading…");
    return load(d + "/index").then(function (index) {
      if (state.d !== d) { return; }
      state.index = index;
      title.textContent = index.model + " · " + index.task + "/" + index.variant + " · run " + index.run;
      index.parts.forEach(function (p) {
        var option = el("option", null, p[0] + " (" + p[2] + ")");
        option.value = p[0];
        select.appendChild(option);
      });
      if (!index.parts.length) { setState("ready", "No samples"); return; }
      return choosePart(l);
    }, function (error) { setState("error", error.message); });
  }

  function params(hash) {
    var found = {};
    hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) { found[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1)); }
    });
    return found;
  }

  select.addEventListener("change", function () { if (state.index) { choosePart(select.value); } });
  prev.addEventListener("click", function () { if (state.part && state.page > 1) { showPage(state.page - 1); } });
  next.addEventListener("click", function () { if (state.part) { showPage(state.page + 1); } });
  close.addEventListener("click", function () { panel.hidden = true; });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !onSamplesPage) { panel.hidden = true; }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.drill") : null;
    if (!link || onSamplesPage) { return; }
    var found = params(link.hash);
    if (!found.d) { return; }
    event.preventDefault();
    openSamples(found.d, found.l);
  });
  if (onSamplesPage) {
    var fromHash = function () {
      var found = params(location.hash);
      if (found.d) { openSamples(found.d, found.l); }
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }
  window.polyevalSite = { openSamples: openSamples, sortTable: sortTable };
})();

// The backprop player: replays the frames in <script class="mgp-data"> on the SVG graph.
// State at frame i = the start state plus every frame up to i, so any frame can be shown
// directly (slider, step back).  No library, no network.
function mgpPlayer(root) {
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const D = JSON.parse(root.querySelector(".mgp-data").textContent);
  const $ = (cls) => root.querySelector("." + cls);
  const F = D.frames, N = D.nodes, slider = $("mgp-slider");
  const firstBackward = F.findIndex((f) => f.kind === "seed");
  const answers = {};  // frame index -> {guess, right}
  let frame = 0, timer = null, quizzing = false;

  // Each value node's <g> and its "data ..." / "grad ..." texts, found once.
  const svgNodes = N.map((n) => {
    const g = root.querySelector('[id="' + n.id + '"]');
    const texts = g ? Array.from(g.querySelectorAll("text")) : [];
    return {
      g: g,
      data: texts.find((t) => t.textContent.startsWith("data ")),
      grad: texts.find((t) => t.textContent.startsWith("grad ")),
    };
  });
  const byId = (id) => root.querySelector('[id="' + id + '"]');

  function lo() { return quizzing ? firstBackward : 0; }

  function stateAt(i) {
    const known = N.map((n) => !D.forward || n.leaf);
    const grads = N.map(() => null);
    const done = N.map(() => false);
    for (let k = 0; k <= i; k++) {
      const f = F[k];
      if (f.kind === "forward") known[f.node] = true;
      if (f.kind === "seed") {
        N.forEach((n, j) => { grads[j] = "0.0000"; known[j] = true; });
        grads[f.node] = "1.0000";
        done[f.node] = true;
      }
      if (f.kind === "backward") {
        const hidden = quizzing && k === i && !answers[k];
        grads[f.parent] = hidden ? "?" : f.grad;
        if (f.done && !hidden) done[f.parent] = true;
      }
    }
    return { known: known, grads: grads, done: done };
  }

  function paint(i) {
    const s = stateAt(i), f = F[i];
    svgNodes.forEach((el, j) => {
      if (!el.g) return;
      if (el.data) el.data.textContent = "data " + (s.known[j] ? N[j].data : "?");
      if (el.grad) el.grad.textContent = "grad " + (s.grads[j] === null ? "—" : s.grads[j]);
      el.g.classList.toggle("mgp-unknown", !s.known[j]);
      el.g.classList.toggle("mgp-done", s.done[j]);
      el.g.classList.toggle("mgp-current", f.node === j);
      el.g.classList.toggle("mgp-target", f.kind === "backward" && f.parent === j);
    });
    root.querySelectorAll(".mgp-active, .mgp-active-op").forEach((e) =>
      e.classList.remove("mgp-active", "mgp-active-op"));
    (f.edges || []).forEach((id) => { const e = byId(id); if (e) e.classList.add("mgp-active"); });
    if (f.op) { const o = byId(f.op); if (o) o.classList.add("mgp-active-op"); }
  }

  function score() {
    const done = Object.values(answers);
    const right = done.filter((a) => a.right).length;
    return "score " + right + " / " + done.length;
  }

  function show(i) {
    frame = Math.max(lo(), Math.min(F.length - 1, i));
    const f = F[frame];
    root.dataset.frame = String(frame);
    root.dataset.kind = f.kind;
    slider.min = String(lo());
    slider.value = String(frame);
    $("mgp-counter").textContent = f.title;
    const asking = quizzing && f.kind === "backward" && !answers[frame];
    $("mgp-line").textContent = asking ? f.question : f.line;
    $("mgp-question").textContent = f.kind === "backward" ? f.question : "";
    const a = answers[frame];
    const guess = $("mgp-guess"), fb = $("mgp-feedback");
    guess.disabled = !asking;
    $("mgp-check").disabled = !asking;
    guess.style.visibility = f.kind === "backward" ? "visible" : "hidden";
    $("mgp-check").style.visibility = f.kind === "backward" ? "visible" : "hidden";
    if (!asking) guess.value = a ? a.guess : "";
    fb.className = "mgp-feedback" + (a ? (a.right ? " mgp-right" : " mgp-wrong") : "");
    fb.textContent = a ? (a.right ? "right!" : "not quite: it is " + fmt(f.answer)) : "";
    $("mgp-hint").textContent = quizzing && f.kind === "backward" ? (asking ? "hint: " + f.hint : "") : "";
    if (quizzing && f.kind !== "backward") $("mgp-hint").textContent = "Step to the first backward step.";
    $("mgp-score").textContent = quizzing ? score() : "";
    $("mgp-back").disabled = frame <= lo();
    $("mgp-first").disabled = frame <= lo();
    $("mgp-step").disabled = frame >= F.length - 1 || asking;
    $("mgp-play").disabled = quizzing;
    paint(frame);
    if (asking) guess.focus();
  }

  function fmt(x) { return String(Number(x.toPrecision(4))); }

  function check() {
    const f = F[frame];
    if (!quizzing || f.kind !== "backward" || answers[frame]) return;
    const text = $("mgp-guess").value.trim().replace(/\u2212/g, "-");
    const guess = Number(text);
    if (text === "" || !isFinite(guess)) {
      $("mgp-feedback").className = "mgp-feedback mgp-wrong";
      $("mgp-feedback").textContent = "type a number, e.g. -1.5";
      return;
    }
    const right = Math.abs(guess - f.answer) <= D.tolerance * Math.max(1, Math.abs(f.answer));
    answers[frame] = { guess: text, right: right };
    show(frame);
    root.focus();
  }

  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    $("mgp-play").innerHTML = "&#9654; play";
    root.dataset.playing = "";
  }
  function play() {
    if (timer) { stop(); return; }
    if (frame >= F.length - 1) show(lo());
    $("mgp-play").innerHTML = "&#10074;&#10074; pause";
    root.dataset.playing = "1";
    timer = setInterval(() => {
      if (frame >= F.length - 1) { stop(); return; }
      show(frame + 1);
    }, 900);
  }

  function setQuiz(on) {
    stop();
    quizzing = on;
    $("mgp-quiz-toggle").checked = on;
    root.classList.toggle("mgp-quizzing", on);
    show(on ? firstBackward : frame);
  }

  slider.max = String(F.length - 1);
  $("mgp-first").onclick = () => { stop(); show(lo()); };
  $("mgp-back").onclick = () => { stop(); show(frame - 1); };
  $("mgp-step").onclick = () => { stop(); show(frame + 1); };
  $("mgp-play").onclick = play;
  slider.oninput = () => { stop(); show(Number(slider.value)); };
  $("mgp-check").onclick = check;
  $("mgp-quiz-toggle").onchange = (e) => setQuiz(e.target.checked);
  $("mgp-guess").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); check(); }
    e.stopPropagation();
  });
  root.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return;  // the slider and the guess box have their own keys
    const keys = {
      ArrowRight: () => { if (!$("mgp-step").disabled) { stop(); show(frame + 1); } },
      ArrowLeft: () => { stop(); show(frame - 1); },
      " ": () => { if (!quizzing) play(); },
      Home: () => { stop(); show(lo()); },
      End: () => { if (!quizzing) { stop(); show(F.length - 1); } },
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  if (D.quiz) setQuiz(true); else show(0);
}

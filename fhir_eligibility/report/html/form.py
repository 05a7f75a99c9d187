"""The attestation checklist as a form on the patient page (issue 14 item 4).

Per trial: the outstanding items first (clinician-judgement reviews, then attestations), each with yes/no
and an optional comment, then the answered ones with what, who and when, each with a "Change answer" control
(a consent withdrawn, a mis-click): the new answer is a newer response, and the evaluator takes the latest
per item. An author is required.

Two ways out, chosen by whoever renders the page:

* static page (``evaluate --format html``): the page script builds the ``QuestionnaireResponse`` in the
  browser, in the shape :func:`~fhir_eligibility.report.questionnaire.questionnaire_response` writes (same
  canonical, linkIds, groups), and offers it as a download (a Blob behind a link). Nothing leaves the page,
  so the page CSP stays ``default-src 'none'``.
* served page (the CDS service): the answers are POSTed as JSON to the service with a per-page nonce; the
  service builds and writes the response itself (:mod:`fhir_eligibility.service.attest`). Only that page's
  CSP adds ``connect-src 'self'``.

Items come from :mod:`fhir_eligibility.criteria.attestable` (the evaluator reads answers by the same
linkIds), their state from the criterion results: the renderer never re-evaluates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fhir_eligibility.criteria.attestable import canonical, items
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.results import CriterionResult, Result, TrialResult
from fhir_eligibility.report.html.shell import CSP, Store
from fhir_eligibility.report.questionnaire import SECTIONS, yes_means

SERVED_CSP = CSP + "; connect-src 'self'"


@dataclass(frozen=True)
class Submit:
    """Where the served page posts its answers, and the nonce that page was issued."""

    url: str
    nonce: str


def _answered(c: CriterionResult) -> bool:
    return c.attestation is not None or any(_answered(k) for k in c.children)


def _reached(cs: tuple[CriterionResult, ...]) -> Iterator[CriterionResult]:
    """Every node whose answer matters or was given: below a node the data decided, nothing is asked."""
    for c in cs:
        yield c
        if c.result in (Result.MANUAL, Result.REVIEW) or c.attested or _answered(c):
            yield from _reached(c.children)


def _said(c: CriterionResult) -> bool | None:
    """The answer that decided ``c``: the evidence the evaluator added from its response."""
    a = c.attestation
    if a is None:
        return None
    return next((e.value for e in c.evidence if e.reference == a.response and isinstance(e.value, bool)), None)


def form_data(r: TrialResult, trial: Trial, store: Store) -> dict[str, list[list[object]] | str] | None:
    """What the page script needs to draw the form and build a response; None when nothing is attestable.

    items: ``[linkId, text, kind, section, state, by, date, response, said, hint]`` in protocol order (the
    order of the response's items), text, by and hint as store indexes (the same items repeat on every
    patient); state is ``open`` (still to answer, or only assumed by --assume-attested) or ``answered``;
    said: the answer that decided an answered item (true/false); hint: what its yes does, as the
    Questionnaire's item text says it. Items the data decided, or that the evaluation never reached, are
    left out."""
    found: dict[str, CriterionResult] = {}
    for k in _reached(r.criteria):
        found.setdefault(k.id, k)
    rows: list[list[object]] = []
    hints = yes_means(trial)  # what a yes does, as the Questionnaire says it (a yes may rule the patient out)
    for i in items(trial):
        c = found.get(i.link_id)
        if c is None:
            continue
        text, hint = store.ref(i.text), store.ref(hints[i.link_id])  # four hints in all: stored once
        if c.attestation is not None:
            a = c.attestation
            by = store.ref(a.by)
            rows.append([i.link_id, text, i.kind, i.section, "answered", by, a.date, a.response, _said(c), hint])
        elif c.result in (Result.MANUAL, Result.REVIEW) or c.attested:
            rows.append([i.link_id, text, i.kind, i.section, "open", None, None, None, None, hint])
    if not rows:
        return None
    url, version = canonical(trial)
    return {
        "q": f"{url}|{version}",
        "patient": r.patient.removeprefix("Patient/"),
        "trial": r.trial,
        "sections": [list(s) for s in SECTIONS],
        "items": rows,
    }


def put_form(store: Store, sid: str, r: TrialResult, trial: Trial | None, eager: bool) -> str:
    """The form's placeholder for a trial section (empty when the trial has nothing to attest).

    A collapsed ``<details>`` whose form is drawn when opened, unless ``eager`` (a page of a few results):
    Chromium slows down with every form on a page (an 88-patient report went from 15 s to 80 s to draw)."""
    data = form_data(r, trial, store) if trial is not None else None
    if data is None:
        return ""
    store.put("forms", sid, data)
    n = sum(1 for row in data["items"] if row[4] == "open")
    return (
        f'<details class="attest" data-attest="{sid}" data-testid="attest"{" open" if eager else ""}>'
        f"<summary>Record attestations and review decisions ({n} outstanding)</summary></details>"
    )


def put_submit(store: Store, submit: Submit | None) -> None:
    if submit is not None:
        store.put("submit", "to", {"url": submit.url, "nonce": submit.nonce})


CSS = """
.attest{background:#faf5ff;border-left:4px solid #7e22ce;padding:.2rem .8rem .6rem;margin:.8rem 0}
.attest fieldset{border:1px solid var(--line);border-radius:.3rem;margin:.4rem 0;padding:.3rem .6rem}
.attest legend{font-weight:600}.attest .kind{font-weight:400;color:var(--muted)}
.attest label{margin-right:1rem}.attest input[type=text]{width:100%;max-width:36rem}
.attest .author{margin:.6rem 0}.attest .status{font-weight:600}
.attest li button{margin-left:.6rem;font-size:.85em}.attest li fieldset{margin-top:.3rem}
@media print{.attest{display:none}}
"""

# Strings arrive as text (textContent, attribute values), never as markup. The response mirrors
# report/questionnaire.py: groups in SECTIONS order, items in protocol order, comments after their item.
JS_FORM = """
function uuid4(){var b=crypto.getRandomValues(new Uint8Array(16)),h=[];b[6]=b[6]&15|64;b[8]=b[8]&63|128;
 b.forEach(function(x){h.push((x+256).toString(16).slice(1));});h=h.join('');
 return h.slice(0,8)+'-'+h.slice(8,12)+'-'+h.slice(12,16)+'-'+h.slice(16,20)+'-'+h.slice(20);}
function localIso(d){var o=-d.getTimezoneOffset(),a=Math.abs(o),p=function(n){return String(n).padStart(2,'0');};
 return d.getFullYear()+'-'+p(d.getMonth()+1)+'-'+p(d.getDate())+'T'+p(d.getHours())+':'+p(d.getMinutes())+':'
  +p(d.getSeconds())+'.'+String(d.getMilliseconds()).padStart(3,'0')+(o<0?'-':'+')+p(Math.floor(a/60))+':'+p(a%60);}
function authorRef(a){return /^(Practitioner|PractitionerRole|Person|RelatedPerson)\\/[A-Za-z0-9\\-.]{1,64}$/.test(a)
 ?{reference:a}:{display:a};}
function buildResponse(f,answers,comments,author){var groups=[];f.sections.forEach(function(s){var entries=[];
 f.items.forEach(function(i){if(i[3]!==s[0]){return;}
  if(i[0] in answers){entries.push({linkId:i[0],text:t(i[1])+t(i[9]),answer:[{valueBoolean:answers[i[0]]}]});}
  if(i[0] in comments){entries.push({linkId:i[0]+'-comment',answer:[{valueString:comments[i[0]]}]});}});
  if(entries.length){groups.push({linkId:s[0],text:s[1],item:entries});}});
 return {resourceType:'QuestionnaireResponse',id:uuid4(),questionnaire:f.q,status:'completed',
  subject:{reference:'Patient/'+f.patient},authored:localIso(new Date()),
  author:authorRef(author),item:groups};}
function itemFieldset(i,id,kind){var fs=el('fieldset'),lg=el('legend'),c=el('input');
 fs.setAttribute('data-testid','attest-item');fs.setAttribute('data-item',i[0]);fs.setAttribute('data-kind',i[2]);
 fs.setAttribute('data-section',i[3]);
 lg.appendChild(el('span','crit-id',i[0]+' '));lg.appendChild(txt(t(i[1])+t(i[9])+' '));
 lg.appendChild(el('span','kind',kind));
 fs.appendChild(lg);[['yes','Yes'],['no','No']].forEach(function(v){var l=el('label'),r=el('input');r.type='radio';
  r.name=id;r.value=v[0];r.setAttribute('data-answer',v[0]);l.appendChild(r);l.appendChild(txt(' '+v[1]));
  fs.appendChild(l);});
 c.type='text';c.maxLength=1000;c.setAttribute('aria-label','Comment on '+i[0]);c.placeholder='Comment (optional)';
 c.setAttribute('data-comment',i[0]);fs.appendChild(c);return fs;}
function attestForm(root,sid,f,to){var form=el('form'),open=f.items.filter(function(i){return i[4]==='open';}),
 done=f.items.filter(function(i){return i[4]==='answered';}),status=el('p','status');
 open.sort(function(a,b){return (a[2]==='review'?0:1)-(b[2]==='review'?0:1);});
 form.setAttribute('data-testid','attest-form');status.setAttribute('role','status');
 status.setAttribute('data-testid','attest-status');
 root.appendChild(el('p','muted','Yes = the criterion\\u2019s statement holds as written (for an exclusion: the '+
  'excluding condition is present). Unanswered items stay outstanding.'));
 if(open.length){form.appendChild(el('h5',null,'Outstanding ('+open.length+')'));}
 open.forEach(function(i,k){form.appendChild(itemFieldset(i,sid+'-a'+k,
  i[2]==='review'?'(clinician judgement)':'(awaiting attestation)'));});
 if(done.length){form.appendChild(el('h5',null,'Answered ('+done.length+')'));var ul=el('ul');
  done.forEach(function(i,k){var li=el('li'),ch=el('button',null,'Change answer'),
   said=i[8]===true?'yes ':i[8]===false?'no ':'';
   li.setAttribute('data-testid','attest-answered');li.setAttribute('data-item',i[0]);
   li.appendChild(el('span','crit-id',i[0]+' '));
   li.appendChild(txt(t(i[1])+t(i[9])+' \\u2014 answered '+said+'by '+t(i[5])+' on '+i[6]+' ('+i[7]+')'));
   ch.type='button';ch.setAttribute('data-testid','attest-change');
   ch.addEventListener('click',function(){ch.remove();
    li.appendChild(itemFieldset(i,sid+'-c'+k,'(a new answer supersedes this one)'));});
   li.appendChild(ch);ul.appendChild(li);});form.appendChild(ul);}
 var pa=el('p','author'),la=el('label',null,'Your name (author, required) '),au=el('input');au.type='text';
 au.required=true;au.maxLength=200;au.autocomplete='name';au.setAttribute('data-testid','attest-author');
 la.appendChild(au);pa.appendChild(la);form.appendChild(pa);
 var btn=el('button',null,to?'Submit answers':'Download response');btn.type='submit';
 btn.setAttribute('data-testid','attest-submit');form.appendChild(btn);form.appendChild(status);
 form.addEventListener('submit',function(ev){ev.preventDefault();var answers={},comments={},author=au.value.trim();
  form.querySelectorAll('fieldset[data-item]').forEach(function(fs){
   var r=fs.querySelector('input[data-answer]:checked');if(r){answers[fs.getAttribute('data-item')]=r.value==='yes';}});
  form.querySelectorAll('input[data-comment]').forEach(function(c){if(c.value.trim()){
   comments[c.getAttribute('data-comment')]=c.value.trim();}});
  if(!author){status.textContent='Enter your name as the author.';au.focus();return;}
  if(!Object.keys(answers).length){status.textContent='Answer at least one item.';return;}
  if(to){sendAnswers(to,{nonce:to.nonce,trial:f.trial,author:author,answers:answers,comments:comments},btn,status);
   return;}
  var qr=buildResponse(f,answers,comments,author),blob=new Blob([JSON.stringify(qr,null,2)+'\\n'],
   {type:'application/fhir+json'}),a=form.querySelector('a[data-testid="attest-download"]')||el('a');
  a.textContent='QuestionnaireResponse for '+f.trial+' (JSON)';a.setAttribute('data-testid','attest-download');
  a.href=URL.createObjectURL(blob);a.download='QuestionnaireResponse-'+f.trial+'-'+f.patient+'.json';
  status.textContent='Add the downloaded file to the patient\\u2019s data and evaluate again. ';status.appendChild(a);
  a.click();});
 root.appendChild(form);}
document.querySelectorAll('[data-attest]').forEach(function(root){var sid=root.getAttribute('data-attest'),built=false;
 function build(){if(!built&&root.open&&!root.hasAttribute('data-print-opened')){built=true;
  attestForm(root,sid,DATA.forms[sid],DATA.submit&&DATA.submit.to);}}
 build();root.addEventListener('toggle',build);});
"""

# Only on the served page (the static page never fetches anything): POST the answers, then show the page the
# service answers with, the patient re-evaluated.
JS_SUBMIT = """
function sendAnswers(to,body,btn,status){btn.disabled=true;status.textContent='Submitting\\u2026';
 fetch(to.url,{method:'POST',credentials:'same-origin',headers:{'Content-Type':'application/json'},
  body:JSON.stringify(body)})
 .then(function(r){return r.json().then(function(j){if(r.ok&&j.location){location.assign(j.location);return;}
  btn.disabled=false;
  status.textContent='Not recorded: '+((j.issue&&j.issue[0]&&j.issue[0].diagnostics)||r.status);});})
 .catch(function(){btn.disabled=false;status.textContent='Not recorded: the service could not be reached.';});}
"""

__all__ = ["CSS", "JS_FORM", "JS_SUBMIT", "SERVED_CSP", "Submit", "form_data", "put_form", "put_submit"]

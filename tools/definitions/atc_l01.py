"""ATC substances used to expand class value sets (the engine matches codes exactly).

Source: MII value set "Onkologie Systemische Therapie Substanzen ATC 2024" (validated against
ATC-DE 2024), restricted to L01 (antineoplastic agents), L03AB (interferons) and H02AB
(glucocorticoids). Displays are the English INN of the German entries.
"""

from __future__ import annotations

_L01 = """
L01AA01 cyclophosphamide
L01AA02 chlorambucil
L01AA03 melphalan
L01AA05 chlormethine
L01AA06 ifosfamide
L01AA07 trofosfamide
L01AA08 prednimustine
L01AA09 bendamustine
L01AB01 busulfan
L01AB02 treosulfan
L01AB03 mannosulfan
L01AC01 thiotepa
L01AC02 triaziquone
L01AC03 carboquone
L01AD01 carmustine
L01AD02 lomustine
L01AD03 semustine
L01AD04 streptozocin
L01AD05 fotemustine
L01AD06 nimustine
L01AD07 ranimustine
L01AD08 uramustine
L01AG01 etoglucid
L01AX01 mitobronitol
L01AX02 pipobroman
L01AX03 temozolomide
L01AX04 dacarbazine
L01BA01 methotrexate
L01BA03 raltitrexed
L01BA04 pemetrexed
L01BA05 pralatrexate
L01BB02 mercaptopurine
L01BB03 tioguanine
L01BB04 cladribine
L01BB05 fludarabine
L01BB06 clofarabine
L01BB07 nelarabine
L01BC01 cytarabine
L01BC02 fluorouracil
L01BC04 carmofur
L01BC05 gemcitabine
L01BC06 capecitabine
L01BC07 azacitidine
L01BC08 decitabine
L01BC09 floxuridine
L01BC52 fluorouracil, combinations
L01BC53 tegafur, combinations
L01BC59 trifluridine, combinations
L01BC63 tegafur and uracil
L01BC73 tegafur, gimeracil and oteracil
L01CA01 vinblastine
L01CA02 vincristine
L01CA03 vindesine
L01CA04 vinorelbine
L01CA05 vinflunine
L01CB01 etoposide
L01CB02 teniposide
L01CC01 demecolcine
L01CD01 paclitaxel
L01CD02 docetaxel
L01CD03 paclitaxel poliglumex
L01CD04 cabazitaxel
L01CE01 topotecan
L01CE02 irinotecan
L01CH01 mistletoe
L01CP01 mistletoe
L01CX01 trabectedin
L01DA01 dactinomycin
L01DB01 doxorubicin
L01DB02 daunorubicin
L01DB03 epirubicin
L01DB04 aclarubicin
L01DB05 zorubicin
L01DB06 idarubicin
L01DB07 mitoxantrone
L01DB08 pirarubicin
L01DB09 valrubicin
L01DB10 amrubicin
L01DB11 pixantrone
L01DC01 bleomycin
L01DC02 plicamycin
L01DC03 mitomycin
L01DC04 ixabepilone
L01EA01 imatinib
L01EA02 dasatinib
L01EA03 nilotinib
L01EA04 bosutinib
L01EA05 ponatinib
L01EA06 asciminib
L01EB01 gefitinib
L01EB02 erlotinib
L01EB03 afatinib
L01EB04 osimertinib
L01EB07 dacomitinib
L01EB09 lazertinib
L01EB10 mobocertinib
L01EC01 vemurafenib
L01EC02 dabrafenib
L01EC03 encorafenib
L01ED01 crizotinib
L01ED02 ceritinib
L01ED03 alectinib
L01ED04 brigatinib
L01ED05 lorlatinib
L01EE01 trametinib
L01EE02 cobimetinib
L01EE03 binimetinib
L01EE04 selumetinib
L01EF01 palbociclib
L01EF02 ribociclib
L01EF03 abemaciclib
L01EG01 temsirolimus
L01EG02 everolimus
L01EH01 lapatinib
L01EH02 neratinib
L01EH03 tucatinib
L01EJ01 ruxolitinib
L01EJ02 fedratinib
L01EJ03 pacritinib
L01EK01 axitinib
L01EK03 tivozanib
L01EK04 fruquintinib
L01EL01 ibrutinib
L01EL02 acalabrutinib
L01EL03 zanubrutinib
L01EM01 idelalisib
L01EM02 copanlisib
L01EM03 alpelisib
L01EM04 duvelisib
L01EN01 erdafitinib
L01EN02 pemigatinib
L01EN04 futibatinib
L01EX01 sunitinib
L01EX02 sorafenib
L01EX03 pazopanib
L01EX04 vandetanib
L01EX05 regorafenib
L01EX07 cabozantinib
L01EX08 lenvatinib
L01EX09 nintedanib
L01EX10 midostaurin
L01EX11 quizartinib
L01EX12 larotrectinib
L01EX13 gilteritinib
L01EX14 entrectinib
L01EX17 capmatinib
L01EX18 avapritinib
L01EX19 ripretinib
L01EX21 tepotinib
L01EX22 selpercatinib
L01EX23 pralsetinib
L01FA01 rituximab
L01FA02 ofatumumab
L01FA03 obinutuzumab
L01FB01 inotuzumab ozogamicin
L01FB02 moxetumomab pasudotox
L01FC01 daratumumab
L01FC02 isatuximab
L01FD01 trastuzumab
L01FD02 pertuzumab
L01FD03 trastuzumab emtansine
L01FD04 trastuzumab deruxtecan
L01FD05 trastuzumab duocarmazine
L01FD06 margetuximab
L01FE01 cetuximab
L01FE02 panitumumab
L01FE03 necitumumab
L01FF01 nivolumab
L01FF02 pembrolizumab
L01FF03 durvalumab
L01FF04 avelumab
L01FF05 atezolizumab
L01FF06 cemiplimab
L01FF07 dostarlimab
L01FF09 tislelizumab
L01FF10 retifanlimab
L01FF11 sugemalimab
L01FG01 bevacizumab
L01FG02 ramucirumab
L01FX01 edrecolomab
L01FX02 gemtuzumab ozogamicin
L01FX03 catumaxomab
L01FX04 ipilimumab
L01FX05 brentuximab vedotin
L01FX06 dinutuximab beta
L01FX07 blinatumomab
L01FX08 elotuzumab
L01FX09 mogamulizumab
L01FX10 olaratumab
L01FX12 tafasitamab
L01FX13 enfortumab vedotin
L01FX14 polatuzumab vedotin
L01FX15 belantamab mafodotin
L01FX16 oportuzumab monatox
L01FX17 sacituzumab govitecan
L01FX18 amivantamab
L01FX19 sabatolimab
L01FX20 tremelimumab
L01FX24 teclistamab
L01FX25 mosunetuzumab
L01FX29 talquetamab
L01FY01 pertuzumab and trastuzumab
L01FY02 nivolumab and relatlimab
L01XA01 cisplatin
L01XA02 carboplatin
L01XA03 oxaliplatin
L01XA04 satraplatin
L01XA05 polyplatillen
L01XB01 procarbazine
L01XD01 porfimer sodium
L01XD03 methyl aminolevulinate
L01XD04 aminolevulinic acid
L01XD05 temoporfin
L01XD06 efaproxiral
L01XD10 methoxsalen
L01XF01 tretinoin
L01XF02 alitretinoin
L01XF03 bexarotene
L01XG01 bortezomib
L01XG02 carfilzomib
L01XG03 ixazomib
L01XH01 vorinostat
L01XH02 romidepsin
L01XH03 panobinostat
L01XH04 belinostat
L01XJ01 vismodegib
L01XJ02 sonidegib
L01XJ03 glasdegib
L01XK01 olaparib
L01XK02 niraparib
L01XK03 rucaparib
L01XK04 talazoparib
L01XK05 veliparib
L01XL01 sitimagene ceradenovec
L01XL02 talimogene laherparepvec
L01XL03 axicabtagene ciloleucel
L01XL04 tisagenlecleucel
L01XL05 ciltacabtagene autoleucel
L01XL06 brexucabtagene autoleucel
L01XL07 idecabtagene vicleucel
L01XL08 lisocabtagene maraleucel
L01XX01 amsacrine
L01XX02 asparaginase
L01XX03 altretamine
L01XX05 hydroxycarbamide
L01XX07 lonidamine
L01XX08 pentostatin
L01XX09 miltefosine
L01XX10 masoprocol
L01XX11 estramustine
L01XX16 mitoguazone
L01XX18 tiazofurine
L01XX23 mitotane
L01XX24 pegaspargase
L01XX27 arsenic trioxide
L01XX29 denileukin diftitox
L01XX35 anagrelide
L01XX36 oblimersen
L01XX40 omacetaxine mepesuccinate
L01XX41 eribulin
L01XX44 aflibercept
L01XX52 venetoclax
L01XX53 vosaroxin
L01XX59 enasidenib
L01XX62 ivosidenib
L01XX66 selinexor
L01XX67 tagraxofusp
L01XX69 lurbinectedin
L01XX72 tazemetostat
L01XX73 sotorasib
L01XX74 belzutifan
L01XX75 tebentafusp
L01XX77 adagrasib
L01XY01 cytarabine and daunorubicin
"""

_L03AB = """
L03AB01 interferon alfa natural
L03AB04 interferon alfa-2a
L03AB05 interferon alfa-2b
L03AB10 peginterferon alfa-2b
L03AB11 peginterferon alfa-2a
L03AB15 ropeginterferon alfa-2b
"""

_H02AB = """
H02AB02 dexamethasone
H02AB04 methylprednisolone
H02AB06 prednisolone
H02AB07 prednisone
"""


def _parse(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.strip().splitlines():
        code, name = line.split(" ", 1)
        out.append((code, name))
    return out


L01_ALL = _parse(_L01)
ALKYLATORS = [(c, d) for c, d in L01_ALL if c.startswith("L01A")]
MTORI = [(c, d) for c, d in L01_ALL if c.startswith("L01EG")]
RTKI = [(c, d) for c, d in L01_ALL if c.startswith("L01EX")]
IFN = _parse(_L03AB)
STEROIDS = _parse(_H02AB)
assert len({c for c, _ in L01_ALL}) == len(L01_ALL)

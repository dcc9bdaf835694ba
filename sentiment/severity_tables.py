"""The severity word tables: per language, per level (critical, high), per topic, one compiled pattern.

How they are written and matched is in `sentiment.severity_words`; in a table, a topic's alternatives
are separated by ";" and runs of white space read as one space, so a long pattern can wrap.
"""

from __future__ import annotations

import re

Table = dict[str, re.Pattern[str]]


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


def _split(patterns: str) -> tuple[str, ...]:
    """Alternatives separated by ";"; runs of white space read as one space."""
    return tuple(" ".join(p.split()) for p in patterns.split(";") if p.strip())


def _tables(critical: dict[str, str], high: dict[str, str]) -> dict[str, Table]:
    return {
        "critical": {topic: _words(*_split(p)) for topic, p in critical.items()},
        "high": {topic: _words(*_split(p)) for topic, p in high.items()},
    }


_FOOD = r"(?:food|meal|sandwich|salad|pizza|burger|drink|bread|soup|pasta|rice|cereal|order|dish|chips)"
_PEOPLE = r"(?:customer|user|person|client|member|patient|passenger|guest)"
_THEIRS = (
    r"(?:data|details|address(?:es)?|cards?|names?|orders?|invoices?|account|information|info|phone|email|"
    r"bank|payment|parcel)"
)
_CONTRACT = (
    r"(?:subscription|account|order|membership|contract|plan|booking|reservation|flight|service|policy|"
    r"direct debit)"
)
_DEVICE = r"(?:charger|cable|plug|battery|socket|adapter|wire|wiring|outlet|port|phone|laptop|device|it)"
_CONTACT = (
    r"(?:contact(?:ing)?|call(?:ing)?|speak(?:ing)? (?:to|with)|talk(?:ing)? to|consult(?:ing)?|hir(?:e|ing)|"
    r"get(?:ting)?|got|see(?:ing)?|involv(?:e|ing))"
)
_HURT_PART = r"(?:hand|arm|leg|skin|face|fingers?|mouth|tongue|child|son|daughter|baby|kid|dog)"

ENGLISH = _tables(
    critical={
        "safety": rf"""
            caught (?:on )?fire; (?:started|starting|causing|caused) a fire; set (?:itself )?on fire;
            burst into flames; went up in flames; burn(?:t|ed|s)? (?:me\b|my {_HURT_PART});
            (?:severe|bad|serious|nasty) burns?\b; {_DEVICE} (?:has |had |just )?(?:melt|explod);
            (?:ended up|landed|admitted|rushed|taken|sent) (?:me |him |her |us )?(?:in|to) (?:the )?hospital;
            hospitali[sz]ed; (?:in|to) (?:the )?(?:emergency room|a&e); (?:an?|my|our|serious|severe)
                injur(?:y|ies)\b;
            (?:i|we|he|she|they|my \w+) (?:was |were |got |have been |has been )?injured;
            food poisoning; unsafe; (?:fire|safety|choking|health|electrical|tripping) hazard; hazardous;
            (?:nearly|almost|started|began|son|daughter|child|kid|baby|dog) chok(?:ed|ing)\b;
            allergic reaction; electric(?:al)? shock; (?:got|was|were|nearly|almost) electrocuted;
                electrocuted (?:me|my|him|her);
            gas leak; carbon monoxide (?:leak|poisoning);
            (?:pieces?|shards?|bits?|fragments?) of glass; glass (?:in|inside) (?:my|the|our) {_FOOD};
            (?:rat|mouse|mice|cockroach(?:es)?|maggots?|worms?|insects?) in (?:my|the|our) {_FOOD};
            smoke came; (?:was|started|began) (?:smoking|sparking)
        """,
        "legal threat": rf"""
            (?:my|our) (?:lawyers?|attorneys?|solicitors?); {_CONTACT} (?:a |an
                )?(?:lawyer|attorney|solicitor);
            (?:file|filing|filed|bring|join|joining|start|starting) (?:a |the )?(?:class action|lawsuit);
                lawsuit against (?:you|u|your);
            (?:i'?m|i am|we'?re|we are|be|'ll be) suing; suing (?:you|u|them|your); legal action; small
                claims; trading standards; ombudsman;
            (?:going to|gonna|want to|have to|need to|plan(?:ning)? to|will|'ll|should|could|would) sue\b;
            sue (?:you|u|them|your|the company)\b; court (?:case|action|claim|order);
            (?:take|taking|took|see|drag(?:ging)?) (?:you |u |them |it |this |the company )?(?:to|in) court
        """,
        "data leak": rf"""
            data (?:leak|breach); leak(?:ed)? my; (?:account|been|got|was|were|is) hacked;
            hacked (?:my|into); gdpr; privacy breach; exposed my; someone else'?s (?:\w+ )?{_THEIRS};
            (?:another|other) {_PEOPLE}s?'?s? (?:\w+ ){{0,2}}{_THEIRS};
            my (?:personal )?(?:data|details|information) (?:was|were|is|are|has been|have been|got)
                (?:leaked|exposed|shared|sold|stolen|visible|published);
            (?:sold|selling|shared|sharing) my (?:personal )?(?:data|details|information);
            card (?:digits|numbers?) (?:were |was |are |is )?(?:visible|exposed|shown|leaked)
        """,
        "discrimination": r"""
            discriminat; racis[tm]; sexis[tm]; homophob; transphob; ableis[tm];
            because of my (?:race|accent|skin|religion|disability|gender|age|hijab|wheelchair)
        """,
        "going to the press": r"""
            (?:going|go|went|will go|i'?ll go) to the (?:press|media|news|papers);
            (?:contact(?:ing)?|tell(?:ing)?|call(?:ing)?|writ(?:e|ing) to|alert(?:ing)?) (?:a |the |my
                |every )?
                (?:journalists?|reporters?|press|media|newspapers?)\b;
            watchdog\b; make (?:this|it) go viral; until (?:this|it) goes viral
        """,
    },
    high={
        "cancellation": rf"""
            (?:want|going|trying|tried|need|have|had|try|how) to cancel; cancel+ation (?:fee|charge);
            (?:i'?m|i am|we'?re|we are|will be|i'?ll be) cancel+ing; cancel+ed on me; (?:they|you|u)
                cancel+ed;
            cancel+(?:ed|ing)? (?:my|our|the|this) (?:\w+ )?{_CONTRACT};
            (?:can'?t|cannot|unable to|won'?t let me|wouldn'?t let me) cancel; (?:close|delete) my account;
            (?:i'?m|i am|we'?re|we are|i'?ll be|i will be|i'?ve|i have|we'?ve) switch(?:ed|ing) to;
            switch(?:ed|ing)? (?:providers?|banks?|suppliers?|carriers?|networks?); taking my business
        """,
        "refund or money": r"""
            (?:want|need|demand|waiting for|waiting on|where(?:'s| is) my|no|get|give me|request(?:ed)?|asked
                for|ask for|deserve|owe me) (?:a |my |the |full |any )?refund;
            refund (?:me|now|asap|immediately|my money);
            (?:never|still not|still no|haven'?t|have not|didn'?t|did not|not) (?:got|get|gotten|received?)
                (?:a |my |the |any )?refund;
            refus(?:e|ed|es|ing) (?:to )?(?:give |issue |process )?(?:me )?(?:a |my )?refund; chargeback;
            charged (?:me )?twice; double[- ]charged; money back(?! guarantee); overcharg; debt collector;
            (?:a|total|complete|absolute|utter|such|what|massive|huge|it'?s|is) scam\b;
                scamm(?:ed|ers?|ing)\b;
            (?:a|total|complete|absolute|utter|such|what) rip[- ]?off; ripped (?:me |us )?off;
            fraudulent; fraudsters?; (?:a|total|complete|absolute|utter) fraud\b
        """,
        "never again": r"""
            never again; never (?:ordering|buying|using|flying|shopping|coming|booking|staying);
            (?:the|this is the|this was the) last time i (?:order|buy|use|fly|shop|book|stay);
            (?:i'?m|i am|we'?re|we are) (?:so |completely |totally |officially )?done with
                (?:you|u|your|this (?:company|app|service|bank|airline|brand|shop|store));
            worst (?:company|service|experience|customer service)
        """,
    },
)


# Other languages: the same topics (reasons read alike), each language's own grammar. Written folded;
# alternatives separated by ";".
_DE = _tables(
    critical={
        "safety": r"""
            feuer gefangen; in flammen (?:aufgegangen|gestanden); \w*brand (?:ausgebrochen|entstanden);
            explodiert; explosion; verbrennungen; (?:mich|sich|ihn|sie|uns) (?:\w+ )?verbrannt;
            (?:mich|sich|ihn|sie|uns|wurde|wurden|bin|ist|schwer) (?:\w+ )?verletzt;
            verletzung(?:en)?\b; (?:im|ins) krankenhaus (?:gelandet|eingeliefert|gebracht|gekommen);
            (?:musste|landete|lag|kam|kamen) (?:\w+ ){0,3}(?:im|ins) krankenhaus; notaufnahme; \w*vergiftung;
            allergische reaktion; stromschlag; glas(?:splitter|scherben?);
            st(?:u|ue)ck(?:e|chen)? glas; (?!un)\w*gef(?:a|ae)hrlich; erstick; rauch kam
        """,
        "legal threat": r"""
            \w*anw(?:a|ae)lt; (?:sammel)?klage (?:einreichen|erheben|eingereicht); \w*klage gegen;
            verklag(?:en|e|t)\b; (?:vor|vors) gericht; rechtliche schritte; verbraucherzentrale;
            schlichtungsstelle; (?:straf)?anzeige (?:erstatten|erstattet); strafanzeige
        """,
        "data leak": r"""
            datenleck; datenpanne; datenschutz(?:verletzung|verstoss|versto(?:ß|ss)); dsgvo; gehackt;
            (?:daten|adresse|bestellung|rechnung|kreditkarte|kartennummer)\w* (?:eines|einer)
                (?:anderen|fremden);
            fremde (?:daten|adressen?|bestellungen|rechnungen|kundendaten);
            meine (?:pers(?:o|oe)nlichen )?daten (?:wurden|sind|werden) (?:\w+
                )?(?:weitergegeben|ver(?:o|oe)ffentlicht|geleakt|gestohlen|verkauft)
        """,
        "discrimination": r"""
            diskriminier; rassis; sexis; homophob; transphob; behindertenfeindlich;
            wegen meine[rs]? (?:hautfarbe|herkunft|religion|behinderung|akzents?|geschlechts?|kopftuch)
        """,
    },
    high={
        "cancellation": r"""
            (?:ge)?k(?:ü|ue)ndig(?:e|en|t|ung)\b; storn(?:o|ier);
            konto (?:l(?:o|oe)schen|schlie(?:ss|ß)en); anbieter (?:wechseln|gewechselt);
            anbieterwechsel; (?:wechsle|wechseln) (?:jetzt )?zu
        """,
        "refund or money": r"""
            \w*r(?:u|ue)ckerstattung; erstattung\b;
            (?:geld|betrag|kosten|kaufpreis)\w* (?:\w+ ){0,3}(?:zu )?erstatt;
            geld zur(?:u|ue)ck;
            doppelt (?:abgebucht|belastet|berechnet); zweimal (?:abgebucht|belastet|berechnet);
            zu viel berechnet; r(?:u|ue)cklastschrift; abzocke; inkasso; betr(?:u|ue)ger;
            (?:ist|reiner|purer|totaler|glatter|versuchter) betrug\b; betrugsmasche
        """,
        "never again": r"""
            nie (?:wieder|mehr)\b(?! (?:ohne|probleme|anders)); zum letzten mal; nimmer wieder
        """,
    },
)
_FR = _tables(
    critical={
        "safety": r"""
            (?:a |ont )?pris feu; incendie; (?:a|ont|est|sont) explose; brulures?;
            (?:batterie|telephone|chargeur|appareil|bouteille)s? (?:a |ont )?explose;
            (?:me|m'|s'|se|nous) (?:suis |est |sommes )?brule; bless(?:e|ee|es|ees|ure|ures)\b;
            (?:a l'|aux )(?:hopital|urgences); intoxication alimentaire; empoisonn;
            reaction allergique; electrocut; decharge electrique;
            (?:morceaux?|bouts?|eclats?) de verre; dangereu(?:x|se); etouff(?:e|ee|er|ement)\b
        """,
        "legal threat": r"""
            (?:mon|notre|mes|nos) avocats?;
            (?:contacter|consulter|appeler|prendre|voir avec|saisir) (?:un|mon|notre) avocat;
            porter plainte; (?:je )?porte plainte; plainte (?:contre|aupres); poursuivre en justice;
            (?:vous|les) poursuivre; action en justice; tribunal; proces\b; mise en demeure; huissier;
            que choisir; dgccrf; repression des fraudes; mediateur
        """,
        "data leak": r"""
            fuite de donnees; (?:ete|fait|fais|compte) pirate(?:e|s|es)?\b; piratage; rgpd; cnil;
            (?:donnees|adresse|commande|facture|carte|coordonnees|nom) d'(?:un|une) autre
                (?:client|cliente|personne|utilisat);
            (?:donnees|coordonnees|adresses) (?:personnelles )?(?:d'autres|des autres) clients;
            mes donnees (?:personnelles )?(?:ont ete|sont) (?:divulguees|vendues|exposees|volees|partagees)
        """,
        "discrimination": r"""
            discrimin; racis; sexis; homophob; transphob;
            (?:a cause de|en raison de) (?:ma|mon) (?:couleur|origine|religion|handicap|accent|voile)
        """,
    },
    high={
        "cancellation": r"""
            resili(?:er|e|es|ee|ees|ation|ons|ez)\b; annul(?:er|e|es|ee|ees|ation|ons|ez)\b;
            (?:fermer|supprimer|cloturer) mon compte; (?:je )?(?:passe|pars) (?:chez|a) la concurrence;
            changer d'(?:operateur|fournisseur|banque)
        """,
        "refund or money": r"""
            rembours(?:ement|er|ez|e|ee|es)\b; (?:debite|preleve|facture)e?s? deux fois;
            rendez[- ]moi mon argent; recuperer mon argent; surfactur; trop percu; arnaque; escroc;
            escroquerie; fraude
        """,
        "never again": r"""plus jamais; jamais plus; la derniere fois que (?:je|j')""",
    },
)
_ES = _tables(
    critical={
        "safety": r"""
            (?:se )?incendi(?:o|a)\b; (?:prendio|agarro|cogio) fuego; exploto; quemaduras?;
            (?:me|se|nos) (?:\w+ )?quem(?:o|e|amos)\b; herid(?:o|a|os|as)\b; lesion(?:es)?\b;
            (?:al|en el) hospital; urgencias; intoxicacion; reaccion alergica; descarga electrica;
            electrocut; (?:trozos?|pedazos?) de (?:vidrio|cristal);
            (?:vidrios?|cristales?) en (?:la|el|mi) (?:comida|bocadillo|sandwich|pizza|bebida|plato);
            peligros(?:o|a); atragant
        """,
        "legal threat": r"""
            abogad(?:o|a|os|as)\b; (?:poner|interponer|presentar|pondre) una (?:demanda|denuncia);
            (?:os|les|lo|la|te|los|las) (?:voy a |vamos a )?(?:demand|denunci)(?:o|are|aremos|ar)\b;
            acciones legales; (?:ir|llevar\w*) a (?:los )?tribunales; (?:ir|llevar\w*|iremos|vamos) a juicio;
            juicio contra; (?:ocu|facua|omic)\b
        """,
        "data leak": r"""
            (?:fuga|filtracion|brecha) de datos; hacke\w+; rgpd;
            datos (?:personales )?de otr(?:o|a|os|as) (?:cliente|persona|usuario);
            (?:direccion|pedido|factura|tarjeta|nombre) de otr(?:o|a) (?:cliente|persona|usuari);
            mis datos (?:personales )?(?:fueron|han sido) (?:filtrados|vendidos|expuestos|robados)
        """,
        "discrimination": r"""
            discrimin; racis; sexis; homofob; transfob;
            por (?:mi )?(?:color de piel|origen|religion|discapacidad|acento)
        """,
    },
    high={
        "cancellation": r"""
            cancel(?:ar|o|e|ado|ada|aron|acion)\b; dar(?:me)? de baja; me (?:doy|di) de baja;
            (?:cerrar|eliminar|borrar) mi cuenta;
            (?:me cambio|me paso|cambiarme) a (?:la competencia|otr[oa])
        """,
        "refund or money": r"""
            reembols(?:o|ar|en|e)\b; devolucion de(?:l)? (?:mi )?dinero;
            (?:devuelvan|devolver|devuelvanme) (?:mi |el )?dinero;
            cobr(?:ado|aron|o) (?:dos veces|doble); doble cobro; estaf(?:a|ador); fraude;
            (?:un|menudo|vaya) timo\b
        """,
        "never again": r"""nunca (?:mas|jamas); jamas (?:volvere|vuelvo); no (?:vuelvo|volvere) a""",
    },
)
_PT = _tables(
    critical={
        "safety": r"""
            pegou fogo; incendio; explodiu; queimaduras?; (?:me|se) queim(?:ei|ou);
            ferid(?:o|a|os|as)\b; lesao; (?:no|ao) hospital; pronto[- ]socorro; intoxicacao;
            reacao alergica; choque eletrico; (?:pedaco|pedacos|caco|cacos) de vidro; perigos(?:o|a);
            engasg
        """,
        "legal threat": r"""
            advogad(?:o|a|os|as)\b; (?:vou|vamos|irei) (?:vos |te )?processa; processo judicial;
            acao judicial; (?:na|a) justica; procon; juizado; tribunal; medidas legais
        """,
        "data leak": r"""
            vazamento de dados; fuga de dados; hackead; lgpd; rgpd;
            dados (?:pessoais )?de outr(?:o|a|os|as) (?:cliente|pessoa|usuario|utilizador);
            (?:endereco|pedido|fatura|cartao|nome) de outr(?:o|a) (?:cliente|pessoa|usuari|utilizador)
        """,
        "discrimination": r"""
            discrimin; racis; sexis; homofob; transfob;
            por causa da minha (?:cor|origem|religiao|deficiencia)
        """,
    },
    high={
        "cancellation": r"""
            cancel(?:ar|ei|ou|ado|ada|amento)\b; (?:encerrar|excluir|fechar) (?:a )?minha conta;
            (?:vou|vamos) mudar (?:de operadora|de banco|para (?:a )?concorr)
        """,
        "refund or money": r"""
            reembols(?:o|ar|em)\b; estorno; devolucao do (?:meu )?dinheiro; dinheiro de volta;
            cobr(?:ado|aram|ou) (?:duas vezes|em dobro); cobranca (?:dupla|indevida); fraude; burla;
            (?:e|um|isso e|cai no|caimos no|sofri um|levei um|que) golpe\b(?! de
                (?:sorte|mestre|sol|vista|estado))
        """,
        "never again": r"""nunca mais; jamais (?:volto|voltarei|compro|comprarei)""",
    },
)
_IT = _tables(
    critical={
        "safety": r"""
            (?:preso|prende|prendere) fuoco; incendi(?:o|ato)\b; esplo(?:so|sa)\b; ustion;
            (?:mi sono|si e|ci siamo) (?:\w+ )?bruciat; ferit(?:o|a|i|e)\b;
            (?:in|all'|al) (?:ospedale|pronto soccorso); intossicazione alimentare; reazione allergica;
            scossa elettrica; (?:pezz[oi]|pezzett[oi]|schegg[ei]a?|frammenti?) di vetro;
            pericolos(?:o|a|i|e); soffoca(?:to|ta|ndo|re)\b
        """,
        "legal threat": r"""
            avvocat(?:o|a|i|e)\b; (?:fare|faro|faccio|facciamo|faremo) causa;
            denunc(?:ia|iare|io|ero)\b; azioni? legal(?:e|i); tribunale; querela; giudice di pace;
            codacons; altroconsumo
        """,
        "data leak": r"""
            (?:fuga|violazione|furto) di dati; hackerat; gdpr; garante (?:della )?privacy;
            dati (?:personali )?di (?:un )?altr(?:o|a|i|e) (?:client|person|utent);
            (?:indirizzo|ordine|fattura|carta|nome) di (?:un )?altr(?:o|a) (?:cliente|persona|utente)
        """,
        "discrimination": r"""
            discrimin; razzis; sessis; omofob; transfob;
            per (?:il colore della (?:mia )?pelle|la mia (?:origine|religione|disabilita))
        """,
    },
    high={
        "cancellation": r"""
            disdett(?:a|e)\b; disdire; (?:annull|cancell)(?:are|ato|ata|ati|o|ero|azione)\b;
            (?:chiudere|eliminare|cancellare) il (?:mio )?(?:account|conto);
            (?:passo|passero|cambio) (?:a un altro|operatore|gestore|alla concorrenza)
        """,
        "refund or money": r"""
            rimbors\w*; (?:i miei )?soldi indietro; restituite(?:mi)? i (?:miei )?soldi;
            (?:addebitat[oi]|pagato) due volte; doppio addebito; truff(?:a|atori?)\b; frode
        """,
        "never again": r"""mai piu\b(?! senza); e l'ultima volta che""",
    },
)
_NL = _tables(
    critical={
        "safety": r"""
            in brand (?:gevlogen|gevloog|vloog|gaan|ging|geraakt); vloog in brand; brandwond;
            ontplof(?:t|fen|te)\b; explodeerde; gewond; verwonding;
            (?:in het|naar het) ziekenhuis; spoedeisende hulp; voedselvergiftiging;
            allergische reactie; elektrische schok; (?:stuk|stukje|stukjes|stukken|scherven?) glas;
            glasscherf; (?!on)\w*gevaarlijk; verslikt
        """,
        "legal threat": r"""
            advoca(?:at|ten)\b; rechtszaak; (?:naar|voor) de rechter; aanklagen; juridische stappen;
            aangifte (?:doen|gedaan); consumentenbond; geschillencommissie
        """,
        "data leak": r"""
            datalek; gehackt; gegevens van (?:een )?ander(?:e)? (?:klant|persoon|personen|gebruiker);
            (?:adres|bestelling|factuur|naam|creditcard)\w* van (?:een )?andere (?:klant|persoon|gebruiker);
            mijn (?:persoons)?gegevens (?:zijn|werden) (?:\w+ )?(?:gelekt|verkocht|gedeeld|gestolen)
        """,
        "discrimination": r"""
            discrimin; racis; seksis; homofob; transfob;
            vanwege mijn (?:huidskleur|afkomst|geloof|handicap|accent|hoofddoek)
        """,
    },
    high={
        "cancellation": r"""
            opzeg(?:gen|ging)\b; opgezegd;
            zeg (?:mijn|het|ons) (?:abonnement|contract|lidmaatschap|account) op; annuleer;
            geannuleerd; annulering; (?:account|abonnement) (?:opheffen|verwijderen|stopzetten);
            overstappen (?:naar|op); stap over naar
        """,
        "refund or money": r"""
            terugbetal(?:ing|en); terugbetaald; geld terug\b(?![- ]?garantie); restitutie;
            (?:dubbel|twee keer) (?:afgeschreven|betaald|gerekend|in rekening gebracht);
            oplicht(?:ing|ers?)\b; fraude; incassobureau
        """,
        "never again": r"""nooit (?:meer|weer)\b(?! (?:zonder|anders)); voor het laatst""",
    },
)
BY_LANGUAGE: dict[str, dict[str, Table]] = {
    "en": ENGLISH,
    "de": _DE,
    "fr": _FR,
    "es": _ES,
    "pt": _PT,
    "it": _IT,
    "nl": _NL,
}

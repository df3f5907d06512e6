# SPDX-License-Identifier: MIT
"""What the synthetic people and answering machines say, per language.

Live answers are what people say when they pick up ("hello?", "this is X
speaking"); greetings are built from an opener, a few middle sentences and a
closer, as real voicemail greetings are. {name}, {company} and {digits} are
filled in per file.
"""

NAMES = ["John", "Mary", "Sarah", "David", "Carlos", "Ana", "Pierre", "Julia",
         "Ahmed", "Mei", "Tom", "Laura", "Michael", "Sophie", "Peter",
         "Elena", "Marco", "Hannah", "Luis", "Karen", "Robert", "Ines"]
# Names for the festival voices' languages, in the script each voice reads
# (the Indic voices read Devanagari / Telugu script only).
LOCAL_NAMES = {
    "hi": ["राम", "सीता", "अमित", "प्रिया", "राहुल", "अनीता"],
    "mr": ["राम", "सुनील", "मीना", "अजय", "स्नेहा"],
    "te": ["రాము", "సీత", "కృష్ణ", "లక్ష్మి", "రవి"],
    "ca": ["Jordi", "Montse", "Pere", "Núria", "Marc"],
    "fi": ["Matti", "Liisa", "Juha", "Anna", "Pekka"],
}
COMPANIES = ["Acme Dental", "City Plumbing", "Smith and Partners",
             "Blue Sky Travel", "Northside Clinic", "Green Valley Realty",
             "Metro Insurance", "Sunrise Bakery"]

HELLO = {
    "en": ["Hello?", "Hello.", "Hi.", "Yeah, hello?", "Hello, who's this?",
           "Yes?", "Hi there.", "Speaking.", "Good morning.", "Hey.",
           "Hello, yes?", "Yello?"],
    "es": ["¿Hola?", "¿Diga?", "¿Bueno?", "Sí, dígame.", "¿Aló?", "¿Sí?"],
    "fr": ["Allô?", "Oui, allô?", "Bonjour.", "Oui?", "Allô, oui?"],
    "de": ["Hallo?", "Ja, bitte?", "Ja?", "Hallo, ja?", "Guten Tag."],
    "pt": ["Alô?", "Oi?", "Pois não?", "Alô, sim?", "Bom dia."],
    "it": ["Pronto?", "Sì, pronto?", "Pronto, chi parla?", "Sì?"],
    "nl": ["Hallo?", "Ja, hallo?", "Met wie?", "Ja?"],
    "ca": ["Digui?", "Sí?", "Hola?", "Digues?", "Bon dia.", "Sí, digui?"],
    "fi": ["Haloo?", "Hei?", "Niin?", "No moi.", "Kyllä?", "Päivää."],
    "hi": ["हैलो?", "हाँ, बोलिए?", "हाँ जी?", "नमस्ते।", "हैलो, कौन?"],
    "mr": ["हॅलो?", "हो, बोला?", "नमस्कार.", "हॅलो, कोण?", "हो?"],
    "te": ["హలో?", "చెప్పండి?", "ఆ, హలో?", "నమస్కారం.", "ఎవరు?"],
}

LIVE_LONG = {
    "en": ["Hello, this is {name} speaking.", "Hi, {name} here.",
           "Hello? Yes, this is {name}.", "Good afternoon, {company}, {name} speaking.",
           "Hello, how can I help you?", "Hi, yeah, who's calling please?",
           "Hello, {name} speaking, how can I help?", "Yes, hello, this is {name}."],
    "es": ["Hola, habla {name}.", "Buenas tardes, soy {name}.",
           "Sí, dígame, ¿quién es?", "Hola, ¿con quién hablo?"],
    "fr": ["Allô, oui, c'est {name}.", "Bonjour, {name} à l'appareil.",
           "Allô? Oui, c'est moi, qui est-ce?"],
    "de": ["Hallo, hier ist {name}.", "Guten Tag, {name} am Apparat.",
           "{company}, {name}, guten Tag.", "Ja, hallo, wer ist da bitte?"],
    "pt": ["Alô, aqui é {name}.", "Bom dia, é {name} falando.",
           "Alô? Sim, quem fala?"],
    "it": ["Pronto, sono {name}.", "Buongiorno, parla {name}.",
           "Pronto? Sì, chi parla?"],
    "nl": ["Hallo, met {name}.", "Goedemiddag, u spreekt met {name}.",
           "Ja, hallo, met wie spreek ik?"],
    "ca": ["Hola, sóc {name}.", "Bona tarda, parla {name}.", "Sí, digui, qui és?",
           "Hola, amb qui parlo?"],
    "fi": ["Hei, täällä {name}.", "Hyvää päivää, {name} puhelimessa.", "Haloo? Joo, {name} tässä.",
           "Kyllä, kuka siellä?"],
    "hi": ["हैलो, मैं {name} बोल रहा हूँ।", "नमस्ते, {name} बोल रही हूँ।", "हाँ जी, कौन बोल रहा है?",
           "हैलो? हाँ, मैं {name} हूँ।"],
    "mr": ["हॅलो, मी {name} बोलतोय.", "नमस्कार, {name} बोलते आहे.", "हो, कोण बोलतंय?",
           "हॅलो? हो, मी {name}."],
    "te": ["హలో, నేను {name} మాట్లాడుతున్నాను.", "నమస్కారం, {name} మాట్లాడుతున్నాను.",
           "హలో? అవును, నేను {name}.", "హలో, ఎవరు మాట్లాడుతున్నారు?"],
}

# Follow-ups after a short pause (a live answer "with a pause").
LIVE_FOLLOW = {
    "en": ["Yes, speaking.", "Who is this?", "Can I help you?", "Hello?", "Anyone there?"],
    "es": ["¿Quién habla?", "¿Hola?", "Sí, soy yo."],
    "fr": ["Qui est à l'appareil?", "Allô?", "Oui, c'est moi."],
    "de": ["Wer ist da?", "Hallo?", "Ja, am Apparat."],
    "pt": ["Quem fala?", "Alô?", "Sim, sou eu."],
    "it": ["Chi parla?", "Pronto?", "Sì, sono io."],
    "nl": ["Wie is daar?", "Hallo?", "Ja, daar spreekt u mee."],
    "ca": ["Qui parla?", "Hola?", "Sí, sóc jo."],
    "fi": ["Kuka siellä?", "Haloo?", "Joo, minä tässä."],
    "hi": ["कौन बोल रहा है?", "हैलो?", "हाँ, बोलिए।"],
    "mr": ["कोण बोलतंय?", "हॅलो?", "हो, बोला."],
    "te": ["ఎవరండీ?", "హలో?", "అవును, చెప్పండి."],
}

GREET_OPEN = {
    "en": ["Hi, you've reached {name}.", "Hello, this is {name}.",
           "You have reached the voicemail of {name}.",
           "Thank you for calling {company}.", "Hey, it's {name}.",
           "The number you have dialed, {digits}, is not available.",
           "Hi, this is the {name} residence."],
    "es": ["Hola, has llamado a {name}.", "Gracias por llamar a {company}.",
           "Hola, soy {name}.", "Este es el buzón de voz de {name}."],
    "fr": ["Bonjour, vous êtes bien chez {name}.", "Merci d'avoir appelé {company}.",
           "Bonjour, c'est {name}.", "Vous êtes sur la messagerie de {name}."],
    "de": ["Hallo, hier ist der Anschluss von {name}.", "Danke für Ihren Anruf bei {company}.",
           "Hallo, hier ist {name}.", "Sie sind verbunden mit der Mailbox von {name}."],
    "pt": ["Olá, você ligou para {name}.", "Obrigado por ligar para {company}.",
           "Oi, aqui é {name}.", "Esta é a caixa postal de {name}."],
    "it": ["Ciao, hai chiamato {name}.", "Grazie per aver chiamato {company}.",
           "Salve, sono {name}.", "Questa è la segreteria di {name}."],
    "nl": ["Hallo, u spreekt met de voicemail van {name}.", "Bedankt voor het bellen naar {company}.",
           "Hoi, met {name}."],
    "ca": ["Hola, has trucat a {name}.", "Gràcies per trucar a {company}.", "Hola, sóc {name}.",
           "Aquesta és la bústia de veu de {name}."],
    "fi": ["Hei, tässä {name}.", "Kiitos soitostasi.", "Olet soittanut vastaajaan.",
           "Tervetuloa, {company}."],
    "hi": ["नमस्ते, आपने {name} को फोन किया है।", "यह {name} का वॉइसमेल है।", "फोन करने के लिए धन्यवाद।"],
    "mr": ["नमस्कार, तुम्ही {name} यांना फोन केला आहे.", "हा {name} यांचा व्हॉइसमेल आहे.",
           "फोन केल्याबद्दल धन्यवाद."],
    "te": ["నమస్కారం, మీరు {name} కి ఫోన్ చేశారు.", "ఇది {name} వాయిస్ మెయిల్.",
           "ఫోన్ చేసినందుకు ధన్యవాదాలు."],
}
GREET_MID = {
    "en": ["I'm not available to take your call right now.", "Sorry I missed your call.",
           "I'm either away from my desk or on another line.",
           "Our office hours are Monday through Friday, nine to five.",
           "If this is an emergency, please hang up and dial nine one one.",
           "We are currently closed for the holiday.",
           "For sales, press one. For support, press two.",
           "Your call is important to us.",
           "I'll be out of the office until Monday, the fourteenth.",
           "You can also reach me by email.",
           "All of our representatives are busy helping other customers."],
    "es": ["No puedo atender tu llamada en este momento.", "Nuestro horario es de lunes a viernes.",
           "Estoy fuera de la oficina hasta el lunes.", "Tu llamada es importante para nosotros."],
    "fr": ["Je ne suis pas disponible pour le moment.", "Nos bureaux sont ouverts du lundi au vendredi.",
           "Je suis absent jusqu'à lundi.", "Votre appel est important pour nous."],
    "de": ["Ich bin im Moment leider nicht erreichbar.", "Unsere Bürozeiten sind Montag bis Freitag.",
           "Ich bin bis Montag nicht im Büro.", "Ihr Anruf ist uns wichtig."],
    "pt": ["No momento não posso atender.", "Nosso horário é de segunda a sexta.",
           "Estou fora do escritório até segunda-feira.", "Sua ligação é importante para nós."],
    "it": ["In questo momento non posso rispondere.", "I nostri uffici sono aperti dal lunedì al venerdì.",
           "Sono fuori ufficio fino a lunedì.", "La sua chiamata è importante per noi."],
    "nl": ["Ik ben op dit moment niet bereikbaar.", "Ons kantoor is open van maandag tot en met vrijdag.",
           "Ik ben tot maandag afwezig.", "Uw oproep is belangrijk voor ons."],
    "ca": ["Ara mateix no puc atendre la trucada.", "El nostre horari és de dilluns a divendres.",
           "Sóc fora de l'oficina fins dilluns.", "La seva trucada és important per a nosaltres."],
    "fi": ["En pääse juuri nyt vastaamaan.", "Toimistomme on avoinna maanantaista perjantaihin.",
           "Olen poissa toimistolta maanantaihin asti.", "Puhelusi on meille tärkeä."],
    "hi": ["मैं अभी आपका फोन नहीं उठा सकता।", "अभी कोई उपलब्ध नहीं है।",
           "हमारा दफ्तर सोमवार से शुक्रवार तक खुला है।", "आपका कॉल हमारे लिए महत्वपूर्ण है।"],
    "mr": ["मी सध्या फोन घेऊ शकत नाही.", "आत्ता कोणीही उपलब्ध नाही.",
           "आमचे कार्यालय सोमवार ते शुक्रवार उघडे असते.", "तुमचा फोन आमच्यासाठी महत्त्वाचा आहे."],
    "te": ["నేను ఇప్పుడు ఫోన్ ఎత్తలేను.", "ప్రస్తుతం ఎవరూ అందుబాటులో లేరు.",
           "మా కార్యాలయం సోమవారం నుండి శుక్రవారం వరకు తెరిచి ఉంటుంది.", "మీ కాల్ మాకు ముఖ్యం."],
}
GREET_CLOSE = {
    "en": ["Please leave your name, number and a brief message after the tone.",
           "Leave a message and I'll get back to you as soon as I can.",
           "Please record your message at the tone.", "Thanks, and have a great day.",
           "Leave a message.", "I'll call you back. Bye.",
           "When you have finished recording, you may hang up."],
    "es": ["Deja tu mensaje después del tono.", "Te llamaré lo antes posible. Gracias.",
           "Por favor, deje su mensaje."],
    "fr": ["Laissez-moi un message après le bip.", "Je vous rappellerai dès que possible. Merci.",
           "Veuillez laisser votre message."],
    "de": ["Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
           "Ich rufe so bald wie möglich zurück. Danke.", "Sprechen Sie nach dem Ton."],
    "pt": ["Deixe sua mensagem após o sinal.", "Retorno assim que possível. Obrigado.",
           "Por favor, deixe seu recado."],
    "it": ["Lascia un messaggio dopo il segnale acustico.", "Ti richiamerò appena possibile. Grazie.",
           "Per favore, lasci un messaggio."],
    "nl": ["Spreek een bericht in na de toon.", "Ik bel u zo snel mogelijk terug. Bedankt.",
           "Laat een bericht achter."],
    "ca": ["Deixa el teu missatge després del senyal.", "Et trucaré tan aviat com pugui. Gràcies.",
           "Si us plau, deixi el seu missatge."],
    "fi": ["Jätä viesti äänimerkin jälkeen.", "Soitan takaisin mahdollisimman pian. Kiitos.",
           "Ole hyvä ja jätä viesti."],
    "hi": ["कृपया बीप के बाद अपना संदेश छोड़ें।", "मैं जल्द ही आपको वापस फोन करूँगा। धन्यवाद।",
           "कृपया अपना नाम और नंबर छोड़ें।"],
    "mr": ["कृपया बीपनंतर आपला संदेश द्या.", "मी लवकरच परत फोन करेन. धन्यवाद.",
           "कृपया आपले नाव आणि नंबर सांगा."],
    "te": ["దయచేసి బీప్ తర్వాత మీ సందేశాన్ని వదలండి.", "నేను త్వరలో మీకు తిరిగి ఫోన్ చేస్తాను. ధన్యవాదాలు.",
           "దయచేసి మీ పేరు మరియు నంబర్ చెప్పండి."],
}

SIT_ANNOUNCE = {
    "en": ["We're sorry, the number you have dialed is not in service.",
           "Please check the number and dial again.",
           "All circuits are busy now. Please try your call again later.",
           "The number you have reached has been disconnected.",
           "Your call cannot be completed as dialed."],
    "es": ["Lo sentimos, el número que usted marcó no existe.", "Por favor, verifique el número."],
    "fr": ["Le numéro que vous avez demandé n'est pas attribué.", "Veuillez vérifier le numéro."],
    "de": ["Kein Anschluss unter dieser Nummer.", "Bitte überprüfen Sie die Nummer."],
    "pt": ["Este número de telefone não existe.", "Por favor, verifique o número."],
    "it": ["Il numero selezionato è inesistente.", "Si prega di verificare il numero."],
    "nl": ["Dit nummer is niet in gebruik.", "Controleer het nummer."],
    "ca": ["Ho sentim, el número que ha marcat no existeix.", "Si us plau, comprovi el número."],
    "fi": ["Valitsemasi numero ei ole käytössä.", "Tarkista numero ja soita uudelleen."],
    "hi": ["आपके द्वारा डायल किया गया नंबर मौजूद नहीं है।", "कृपया नंबर जाँच कर फिर से डायल करें।"],
    "mr": ["आपण डायल केलेला क्रमांक अस्तित्वात नाही.", "कृपया क्रमांक तपासून पुन्हा डायल करा."],
    "te": ["మీరు డయల్ చేసిన నంబర్ ఉనికిలో లేదు.", "దయచేసి నంబర్ సరిచూసి మళ్ళీ డయల్ చేయండి."],
}

# Babble sentences (background talkers); language-mixed on purpose.
BABBLE = [
    "So I told him we would be there by six, but the traffic was terrible.",
    "Did you see the game last night? It went to overtime.",
    "Can you pass me that file on the left, the blue one.",
    "We need the numbers for the quarterly report before Friday.",
    "She said the new place has great coffee and decent prices.",
    "Hold on, let me check my calendar for next week.",
    "I think the printer on the second floor is broken again.",
    "Yeah, no, that's what I was trying to say earlier.",
    "The meeting got moved to three thirty in the big room.",
    "Honestly I have no idea where he put the keys.",
]

# Asterisk (Allison) prompt sequences: real recorded speech.
AST_HELLO = ["hello"]
AST_GREETINGS = [
    # Asterisk's own default voicemail greeting: "The person at extension
    # <digits> is unavailable. Please leave your message after the tone..."
    ["vm-theperson", "DIGITS", "vm-isunavail", "PAUSE", "vm-intro"],
    ["vm-theperson", "DIGITS", "vm-isonphone", "PAUSE", "vm-intro"],
    ["vm-nobodyavail", "PAUSE", "vm-intro"],
    ["vm-theperson", "DIGITS", "vm-isunavail"],
    ["hello", "PAUSE", "vm-nobodyavail", "PAUSE", "vm-leavemsg"],
]
AST_SIT = ["cannot-complete-as-dialed", "check-number-dial-again", "all-circuits-busy-now",
           "please-try-call-later", "ss-noservice", "number-not-answering",
           "feature-not-avail-line"]

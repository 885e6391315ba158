polyevalData({"key":"baseline-reference/dzen/en/index","model":"baseline:reference","page_size":200,"pages":1,"parts":[["eng_Latn",0,23]],"run":"baseline-reference","task":"dzen","variant":"en"});

polyevalData({"key":"baseline-majority/dzen/en/index","model":"baseline:majority","page_size":200,"pages":1,"parts":[["eng_Latn",0,23]],"run":"baseline-majority","task":"dzen","variant":"en"});

polyevalData({"key":"baseline-random/dzen/dz/index","model":"baseline:random","page_size":200,"pages":1,"parts":[["dzo_Tibt",0,23]],"run":"baseline-random","task":"dzen","variant":"dz"});
